using System.Globalization;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Recording;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Gate;

/// <summary>
/// Runs the gate: first whether the 'from' environment serves the tag's content (<see cref="ServedReleaseCheck"/>;
/// when it does not, the other checks are not run), then the gate's checks (in parallel, each bounded),
/// and writes the evidence: results.tsv, results.json, SUMMARY.md and one log per check under
/// <c>evidence/TIMESTAMP/</c>. Any required failure or skip is a no-go.
/// </summary>
internal sealed class GateRunner(GateServices services, TimeProvider time)
{
    /// <value>The default is four checks at a time.</value>
    public int Parallelism { get; init; } = 4;

    /// <value>The default bound for one check (command checks use their own timeout) is two minutes.</value>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The tag of the gate run under way (checks read it), null outside one.</summary>
    private string? _tag;

    public async Task<GateReport> RunAsync(GateConfig gate, string tag, string evidenceRoot, Action<CheckResult>? onResult, CancellationToken ct)
    {
        _tag = tag;
        var started = time.GetUtcNow();
        var dir = RunFolder.Create(evidenceRoot, started.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(Path.Combine(dir, "logs"));

        // First: does the 'from' environment run what the tag names? Checks of anything else would vouch for other content.
        var releases = new List<GateRelease>();
        var served = await Task.WhenAll(ServedReleaseCheck.GatedLanes(gate, services.Matrix).Select(gated =>
            RunCheckAsync(ServedReleaseCheck.IdOf(gated.Lane, gated.Region), true, $"{gate.From}{(gated.Region is null ? "" : $" ({gated.Region})")} serves tag {tag} of {gated.Lane} at 100%",
                $"deploymatrix status {gated.Lane} --env {gate.From}{(gated.Region is null ? "" : $" --region {gated.Region}")}", dir, async (context, token) =>
            {
                var (detail, release) = await ServedReleaseCheck.RunAsync(gated.Lane, gated.Region, gate.From, tag, services, context, token);
                lock (releases)
                {
                    releases.Add(release);
                }

                return detail;
            }, null, ct)));
        foreach (var result in served)
        {
            onResult?.Invoke(result);
        }

        // Checks against other content than the tag's would be evidence for nothing; a platform that cannot be read
        // (a skip) blocks the verdict on its own, and the other checks still say what they can.
        var notServed = served.Where(r => r.Status == CheckStatus.Failed).Select(r => r.CheckId).ToList();
        using var slots = new SemaphoreSlim(Parallelism);
        var tasks = gate.Checks.Select(async check =>
        {
            await slots.WaitAsync(ct);
            try
            {
                var kind = GateChecks.For(check.Spec);
                var result = await RunCheckAsync(check.Id, check.Required, check.Description ?? check.Spec.Type, services.Redactor.Apply(kind.CommandOf(check.Spec)), dir,
                    (context, token) => notServed.Count > 0
                        ? throw new CheckSkipped($"not run: {gate.From} does not serve tag {tag} ({string.Join(", ", notServed)})")
                        : kind.RunAsync(check.Spec, context, token),
                    check.Spec is CommandCheckSpec c ? c.Timeout + TimeSpan.FromSeconds(5) : null, ct);
                onResult?.Invoke(result);
                return result;
            }
            finally
            {
                slots.Release();
            }
        });
        var results = (IReadOnlyList<CheckResult>)[.. served, .. await Task.WhenAll(tasks)];
        var report = new GateReport(gate.From, gate.To, tag, GateReport.IsGo(results), results, dir,
            started.ToString("O", CultureInfo.InvariantCulture), time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture))
        {
            Releases = [.. releases.OrderBy(r => r.Lane, StringComparer.Ordinal)],
        };
        EvidenceWriter.Write(report, gate, services.Matrix, services.Redactor);
        return report;
    }

    /// <summary>
    /// Runs checks one after another (each bounded as in a gate run) with their logs under <c>DIR/logs/</c>, and
    /// nothing else: no verdict is recorded. A rollout's 0% stage runs the gate's checks of its lane this way.
    /// </summary>
    public async Task<IReadOnlyList<CheckResult>> RunChecksAsync(IReadOnlyList<GateCheck> checks, string dir, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.Combine(dir, "logs"));
        var results = new List<CheckResult>();
        foreach (var check in checks)
        {
            var kind = GateChecks.For(check.Spec);
            results.Add(await RunCheckAsync(check.Id, check.Required, check.Description ?? check.Spec.Type, services.Redactor.Apply(kind.CommandOf(check.Spec)), dir,
                (context, token) => kind.RunAsync(check.Spec, context, token), null, ct));
        }

        return results;
    }

    private async Task<CheckResult> RunCheckAsync(
        string id, bool required, string description, string command, string dir, Func<CheckContext, CancellationToken, Task<string>> run, TimeSpan? timeout, CancellationToken ct)
    {
        var log = Path.Combine(dir, "logs", $"{id}.log");
        var context = new CheckContext(services, log) { Tag = _tag };
        var started = time.GetTimestamp();
        string status;
        string reason;
        using var timer = new CancellationTokenSource(timeout ?? CheckTimeout, time);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            reason = await run(context, bound.Token);
            status = CheckStatus.Passed;
        }
        catch (CheckFailed e)
        {
            (status, reason) = (CheckStatus.Failed, e.Message);
        }
        catch (CheckSkipped e)
        {
            (status, reason) = (CheckStatus.Skipped, e.Message);
        }
        catch (Platform.PlatformException e)
        {
            // The platform went away under the check: nothing was checked, and a required skip is a no-go.
            (status, reason) = (CheckStatus.Skipped, $"the platform did not answer: {e.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            (status, reason) = (CheckStatus.Failed, "timed out");
        }

        context.Log($"=> {status}: {reason}");
        context.Flush();
        return new CheckResult(id, required, status, description, log, command, services.Redactor.Apply(reason), time.GetElapsedTime(started).TotalMilliseconds);
    }
}
