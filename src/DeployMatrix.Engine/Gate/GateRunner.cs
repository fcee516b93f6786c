using System.Globalization;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Recording;

namespace DeployMatrix.Engine.Gate;

/// <summary>
/// Runs the gate's checks (in parallel, each bounded) and writes the evidence: results.tsv, results.json,
/// SUMMARY.md and one log per check under <c>evidence/TIMESTAMP/</c>. Any required failure or skip is a no-go.
/// </summary>
internal sealed class GateRunner(GateServices services, TimeProvider time)
{
    /// <value>The default is four checks at a time.</value>
    public int Parallelism { get; init; } = 4;

    /// <value>The default bound for one check (command checks use their own timeout) is two minutes.</value>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public async Task<GateReport> RunAsync(GateConfig gate, string tag, string evidenceRoot, Action<CheckResult>? onResult, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        var dir = RunFolder.Create(evidenceRoot, started.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(Path.Combine(dir, "logs"));
        using var slots = new SemaphoreSlim(Parallelism);
        var tasks = gate.Checks.Select(async check =>
        {
            await slots.WaitAsync(ct);
            try
            {
                var result = await RunCheckAsync(check, dir, ct);
                onResult?.Invoke(result);
                return result;
            }
            finally
            {
                slots.Release();
            }
        });
        var results = await Task.WhenAll(tasks);
        var report = new GateReport(gate.From, gate.To, tag, GateReport.IsGo(results), results, dir,
            started.ToString("O", CultureInfo.InvariantCulture), time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        EvidenceWriter.Write(report, gate, services.Matrix, services.Redactor);
        return report;
    }

    private async Task<CheckResult> RunCheckAsync(GateCheck check, string dir, CancellationToken ct)
    {
        var log = Path.Combine(dir, "logs", $"{check.Id}.log");
        var context = new CheckContext(services, log);
        var kind = GateChecks.For(check.Spec);
        var command = services.Redactor.Apply(kind.CommandOf(check.Spec));
        var started = time.GetTimestamp();
        string status;
        string reason;
        using var timer = new CancellationTokenSource(check.Spec is CommandCheckSpec c ? c.Timeout + TimeSpan.FromSeconds(5) : CheckTimeout, time);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            reason = await kind.RunAsync(check.Spec, context, bound.Token);
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
        return new CheckResult(check.Id, check.Required, status, check.Description ?? check.Spec.Type, log, command, services.Redactor.Apply(reason), time.GetElapsedTime(started).TotalMilliseconds);
    }
}
