using DeployMatrix.Core;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Drift;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Releases;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.Engine.Waves;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>Runs a rollout with the reporter the caller chooses (a live view at a terminal, plain lines elsewhere).</summary>
public delegate Task<RolloutOutcome> RolloutDriver(Func<IRolloutReporter, Task<RolloutOutcome>> run);

/// <summary>What <c>rollout</c> is asked to do.</summary>
public sealed record RolloutStartRequest(string Lane, string Env)
{
    /// <summary>One of the environment's regions (<c>--region</c>); null: every region, as waves (<see cref="RolloutOperation.RunWavesAsync"/>).</summary>
    public string? Region { get; init; }

    /// <summary>Deploy this tag first, with no traffic, as the canary (under the same lock); null: the latest ready revision is the canary.</summary>
    public string? Tag { get; init; }

    /// <summary>The analysis window per stage instead of the policy's; held to the matrix's bounds (<see cref="RolloutPolicy.CheckWindow"/>) and, on Cloud Run, to <see cref="MetricsCadence.MinimumWindow"/>.</summary>
    public TimeSpan? Window { get; init; }

    /// <summary>Why a canary whose tag has no passing gate may go to the gate's target environment; recorded once.</summary>
    public string? GateOverride { get; init; }

    /// <summary>
    /// Carry out the canary's deploy and every traffic move through gcloud (<c>--executor gcloud</c>), as the commands
    /// <c>plan --action rollout --format shell</c> prints; the analysis still reads Cloud Monitoring through its API
    /// (gcloud has no command that reads time series). Cloud Run targets only (else exit 2).
    /// </summary>
    public bool Gcloud { get; init; }

    /// <summary>Why the canary's deploy (with <see cref="Tag"/>) may pass its verify checks without running them (<c>--skip-verify --reason</c>); audited.</summary>
    public string? SkipVerify { get; init; }

    /// <summary>
    /// Why a canary whose rehearsal found <c>rollback_safe: false</c> may go to the gate's target environment anyway
    /// (<c>--reason</c>); audited. Such a rollout holds on a failed stage instead of rolling back.
    /// </summary>
    public string? RollbackUnsafeReason { get; init; }

    /// <summary>On cancel, let the canary deploy's migration execution finish instead of stopping it (<c>--wait-on-cancel</c>, as on <c>deploy</c>).</summary>
    public bool WaitOnCancel { get; init; }
}

/// <summary>
/// <c>rollout</c>: the canary moves from the stable revision through the lane's stages with analysis. With
/// a tag it is deployed first; the deploy and the rollout hold the lane's lock together, so nothing else
/// changes the lane in between, and a gate override is recorded once for both.
/// </summary>
public sealed class RolloutOperation(Workspace ws)
{
    /// <param name="say">Lines for people before the rollout runs ("rollout of … : stable → canary").</param>
    /// <param name="deployed">Called with the deploy's result when a tag was deployed first (its receipt).</param>
    /// <returns>How the rollout ended, or null when there was nothing to roll out (the canary already serves).</returns>
    /// <exception cref="OperationException">Refused (maintenance, an open rollout, no gate, no migration), the deploy failed, or the platform failed under it (held).</exception>
    public async Task<RolloutOutcome?> RunAsync(RolloutStartRequest request, IExecutionReporter deployReporter, Action<ExecutionResult> deployed, Action<string> say, RolloutDriver drive, CancellationToken ct)
    {
        if (request.Window is { } window && RolloutPolicy.CheckWindow(window) is { } problem)
        {
            throw new OperationException($"--window {problem}; give the analysis window per stage, e.g. 30s or 10m", ExitCodes.BadInput);
        }

        var target = ws.Resolve(request.Lane, request.Env, request.Region);
        var options = new ChangeOptions { GateOverride = request.GateOverride, Gcloud = request.Gcloud, WaitOnCancel = request.WaitOnCancel, SkipVerify = request.SkipVerify };
        PlanRun.RequireCloudRunForGcloud(options, target.Platform);
        if (request.Window is { } given && target.Platform == PlatformKind.CloudRun && MetricsCadence.CloudMonitoring.CheckWindow(given, "Cloud Run") is { } tooShort)
        {
            throw new OperationException($"--window: {tooShort}; give --window {Durations.Format(MetricsCadence.CloudMonitoring.MinimumWindow)} or longer", ExitCodes.BadInput);
        }

        var platform = await ws.Platforms.OpenAsync(target.Platform, ct);
        var (steps, traffic) = PlanRun.RolloutRunners(ws, platform, options);
        using var held = await ws.Locks.AcquireAsync(request.Lane, target.Scope, "rollout", ct);
        // Refused before anything changes: a deploy of the canary is not left behind by a rollout that cannot start.
        ReleaseRules.RefuseInMaintenance(ws, target, "a rollout");
        if (RolloutControlOperation.Latest(ws, target) is { Finished: false } open)
        {
            throw new OperationException($"rollout #{open.Id} of {target.Lane} in {target.Where} is {open.Shown} at {open.Stage}%; finish it first: deploymatrix rollout resume|promote|abort {target.Lane} {target.Args}");
        }

        // Decided before anything changes: with a tag, the deploy below already runs the canary's migration.
        var rollbackUnsafe = request.Tag is { } tagged
            ? RequireRollbackDecision(target, ReleaseContent.Of(ws.State, target, tagged)?.Digest, request.RollbackUnsafeReason)
            : null;
        var overridden = new HashSet<string>(StringComparer.Ordinal);
        if (request.Tag is { } tag)
        {
            var plan = PlanRun.Plan(ws, new PlanRequest { Lane = request.Lane, Environment = request.Env, Region = target.Regional ? target.Region : null, Tag = tag, Action = PlanAction.Deploy, NoTraffic = true }, options);
            var result = await PlanRun.RunLockedAsync(ws, plan, steps, options, deployReporter, overridden, ct);
            deployed(result);
            if (!result.Ok)
            {
                throw new OperationException(result.Error!, result.ExitCode);
            }
        }

        var service = await platform.GetServiceAsync(target, ct);
        var canary = service.LatestReadyRevision ?? throw new OperationException($"{target.Service} has no ready revision in {target.Environment}; deploy one first");
        var canaryRevision = service.Revisions.FirstOrDefault(r => r.Name == canary);
        // The canary's tag must have passed the gate into this environment, as a deploy's must.
        ReleaseRules.RequirePromotion(ws, target, canaryRevision?.Tag ?? "",
            canaryRevision is null ? null : new ReleaseContent(canaryRevision.Digest, canaryRevision.Image), request.GateOverride, overridden);
        rollbackUnsafe ??= request.Tag is null ? RequireRollbackDecision(target, canaryRevision?.Digest, request.RollbackUnsafeReason) : null;
        ws.ChangeBegins(target, service.Traffic);
        var stable = ws.StableOf(target, service)
            ?? throw new OperationException($"{target.Service} has no revision serving traffic to compare against; give one all traffic first (deploymatrix traffic {target.Lane} {target.Args} --to REV=100)");
        if (canary == stable)
        {
            say($"{canary} already serves {target.Environment}; nothing to roll out");
            return null;
        }

        if (target.MigrationMandatory && target.Job is { } job)
        {
            // The canary as deployed: a platform that reports revisions by digest (Cloud Run) made the
            // latest created revision from the service's current template, whose image is the tag's.
            var fromTemplate = canaryRevision?.Digest is not null && service.LatestCreatedRevision == canary && service.Image is not null
                && ImageReference.Parse(service.Image).Repository == ImageReference.Parse(canaryRevision.Image).Repository;
            var image = fromTemplate ? service.Image! : canaryRevision?.Image ?? service.Image!;
            var report = await DriftCheck.RunAsync(platform, target, job, image, ct);
            if (!report.Ok)
            {
                throw new OperationException($"the mandatory migration has not succeeded with the canary's image ({report.Problem}); run: deploymatrix migrate {target.Lane} {target.Args}");
            }
        }

        say($"rollout of {target.Lane} in {target.Where}: {stable} → {canary}");
        var rollout = new RolloutRequest(target, stable, canary)
        {
            Window = request.Window, Tag = canaryRevision?.Tag, Digest = canaryRevision?.Digest, CanaryChecks = Gate.CanaryGateChecks.For(ws, platform, target),
            CanaryTrafficTag = CanaryTag.ToGive(target, service, canary),
            RollbackUnsafe = rollbackUnsafe,
        };
        return await DriveAsync(ws, platform, traffic, target, drive, runner => runner.StartAsync(rollout, ct));
    }

    /// <summary>
    /// The rollout in every region of the environment (or <see cref="RolloutStartRequest.Region"/>'s), as waves: in
    /// sequence a region's wave — its canary's deploy with <see cref="RolloutStartRequest.Tag"/>, migration, smoke and every
    /// stage — ends before the next region's starts, and a rollout that does not succeed leaves the regions behind it
    /// untouched; in parallel, every region at once.
    /// </summary>
    /// <returns>Each region's outcome (null where it had nothing to roll out), in wave order.</returns>
    /// <exception cref="OperationException">Bad input (2); with one target, as <see cref="RunAsync"/>.</exception>
    public async Task<WavesResult<RolloutOutcome?>> RunWavesAsync(RolloutStartRequest request, IExecutionReporter deployReporter, Action<ExecutionResult> deployed, Action<string> say, RolloutDriver drive, IWaveReporter waves, CancellationToken ct)
    {
        var resolved = ws.ResolveWaves(request.Lane, request.Env, request.Region);
        return await WaveRunner.RunAsync(resolved.Targets, resolved.Order,
            (target, token) => RunAsync(request with { Region = target.Region }, WaveRunner.StepsOf(deployReporter, target, resolved.Order, resolved.Several), deployed, say, drive, token),
            outcome => outcome is null ? (ExitCodes.Ok, null) : (outcome.ExitCode, outcome.End == RolloutEnd.Succeeded ? null : $"rollout {outcome.End.ToString().ToLowerInvariant()}: {outcome.Reason}"),
            waves, ct);
    }

    /// <summary>
    /// A release whose latest rehearsal (by digest) found the stable release unable to serve its migrated schema goes
    /// to the gate's target environment only with a reason, recorded in the audit log.
    /// </summary>
    /// <returns>Why rollback is not safe (the rollout then holds instead of rolling back), or null.</returns>
    /// <exception cref="OperationException">Rollback is not safe and no reason was given (exit 1).</exception>
    private string? RequireRollbackDecision(ResolvedTarget target, string? digest, string? reason)
    {
        if (ws.Matrix.Gate?.To != target.Environment || digest is null
            || Gate.RehearsalVerdicts.Latest(ws.State, target.Lane, digest) is not { RollbackSafe: false } verdict)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new OperationException($"the rehearsal of {target.Lane} {digest} (tag {verdict.Tag}) found rollback not safe: {verdict.Why}; a failed stage would hold instead of rolling back — to go ahead, give --reason \"why\" (recorded)");
        }

        ws.Recorder.Record("rollout-rollback-unsafe", target.Lane, target.Scope,
            new Dictionary<string, string?> { ["digest"] = digest, ["tag"] = verdict.Tag, ["reason"] = reason, ["why"] = verdict.Why }, "recorded", detail: $"{digest}: {reason}");
        return verdict.Why;
    }

    /// <summary>Runs a rollout in this process; a platform failure under it leaves it held, with the way to continue.</summary>
    internal static async Task<RolloutOutcome> DriveAsync(Workspace ws, IPlatform platform, ITrafficWriter traffic, ResolvedTarget target, RolloutDriver drive, Func<RolloutRunner, Task<RolloutOutcome>> run)
    {
        try
        {
            return await drive(reporter => run(new RolloutRunner(platform, ws.State, ws.Recorder, ws.Time, reporter, traffic) { Notify = ws.Notify }));
        }
        catch (PlatformException e)
        {
            throw new OperationException($"rollout held: {e.Message}; once the platform answers, continue with: deploymatrix rollout resume {target.Lane} {target.Args}");
        }
    }
}
