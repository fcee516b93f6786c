using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Notifications;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>
/// <c>gate</c>: first whether the 'from' environment serves the tag's content at 100% for every gated
/// lane, then the matrix gate's checks in parallel (each bounded) against what runs now, and the
/// go/no-go that the promotion rule reads, stored against the digests found: any required failure or
/// required skip is a no-go. Evidence
/// goes to <c>.deploymatrix/evidence/TIMESTAMP/</c>; the verdict and its audit record are written together.
/// </summary>
public sealed class GateOperation(Workspace ws)
{
    /// <param name="from">The environment validated; must be the gate's (null: the gate's).</param>
    /// <param name="to">The environment promoted to; must be the gate's (null: the gate's).</param>
    /// <param name="tag">The tag decided on; null: the default tag (the short SHA of HEAD, <c>SHA-dirty-TREE</c> on a dirty tree).</param>
    /// <param name="say">Notes for people (a platform that cannot be reached, so its checks are skipped).</param>
    /// <param name="onResult">Each check's result as it ends (from the check's thread).</param>
    /// <exception cref="OperationException">No gate, or other environments than the gate's (exit 2).</exception>
    public async Task<GateReport> RunAsync(string? from, string? to, string? tag, Action<string> say, Action<GateConfig, string> starting, Action<CheckResult> onResult, CancellationToken ct)
    {
        var gate = ws.Matrix.Gate ?? throw new OperationException("the matrix has no 'gate' section; add one with 'from', 'to' and 'checks'", ExitCodes.BadInput);
        if ((from ?? gate.From) != gate.From || (to ?? gate.To) != gate.To)
        {
            throw new OperationException($"the matrix's gate goes from '{gate.From}' to '{gate.To}'; run it with --from {gate.From} --to {gate.To}", ExitCodes.BadInput);
        }

        tag ??= await ws.Git.DefaultTagAsync(ws.Matrix.BaseDirectory, refuseDirty: false, ct)
            ?? throw new OperationException("there is no default tag outside a git work tree; pass --tag TAG", ExitCodes.BadInput);
        var platform = await PlatformAsync(say, ct);
        var services = GateServices.Of(ws, platform);
        starting(gate, tag);
        var report = await new GateRunner(services, ws.Time).RunAsync(gate, tag, ws.Paths.Evidence, onResult, ct);
        var verdict = report.Go ? "go" : "no-go";
        var log = ws.Recorder.Begin("gate", null, gate.To, $"tag {tag}");
        log.End(verdict, new Dictionary<string, string?>
            {
                ["tag"] = tag, ["from"] = gate.From, ["to"] = gate.To, ["evidence"] = report.EvidenceDirectory,
                ["releases"] = string.Join(' ', report.Releases.Select(r => $"{r.Lane}={r.Revision}@{r.Digest ?? r.Image}")),
            },
            verdict, Path.Combine(report.EvidenceDirectory, "results.json"), $"tag {tag}; evidence {report.EvidenceDirectory}",
            () => ws.State.RecordGate(gate.From, gate.To, tag, report.Go, report.EvidenceDirectory, report.Releases));
        ws.Notify.Release(ws.Time, ws.Actor, report.Go ? NotifyEvent.GateGo : NotifyEvent.GateNoGo, gate.To,
            $"gate {gate.From} → {gate.To} for tag {tag}: {verdict}", new Dictionary<string, string?>
            {
                ["tag"] = tag, ["from"] = gate.From, ["to"] = gate.To,
                ["releases"] = string.Join(' ', report.Releases.Select(r => $"{r.Lane}={r.Revision}@{r.Digest ?? r.Image}")),
            });
        return report;
    }

    /// <summary>The verdict that counts for every tag (the latest gate run per tag and pair of environments), newest first, each with its evidence.</summary>
    public IReadOnlyList<GateVerdict> LatestVerdicts() => [.. ws.State.LatestGates().Select(Verdict)];

    /// <summary>One gate run by its id (as the store numbers them) with its evidence, or null.</summary>
    public GateVerdict? Verdict(long id) => ws.State.GateById(id) is { } record ? Verdict(record) : null;

    private GateVerdict Verdict(State.GateRecord record)
    {
        GateEvidence? evidence = null;
        string? problem = null;
        try
        {
            evidence = GateEvidence.Read(record.Evidence);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            problem = Core.Text.UntrustedText.OneLine(e.Message);
        }

        return new GateVerdict(record, ws.State.GateReleases(record.Id), evidence, problem);
    }

    /// <summary>
    /// Where deployed lanes are checked: Cloud Run when the workspace runs there, else this machine's
    /// agent when it runs; without one, checks of deployed lanes are skipped (a required skip is a no-go).
    /// </summary>
    private async Task<IPlatform?> PlatformAsync(Action<string> say, CancellationToken ct)
    {
        var kind = ws.PlatformOverride ?? PlatformKind.Local;
        if (kind == PlatformKind.CloudRun)
        {
            return await ws.Platforms.OpenAsync(kind, ct);
        }

        try
        {
            return await ws.Platforms.OpenAsync(kind, ct);
        }
        catch (PlatformException)
        {
            say("note: the local agent is not running, so checks of deployed lanes are skipped (start it with: deploymatrix agent start)");
            return null;
        }
    }
}
