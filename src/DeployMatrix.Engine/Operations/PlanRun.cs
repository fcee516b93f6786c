using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Releases;
using DeployMatrix.Engine.Verify;
using DeployMatrix.Engine.Waves;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>How a change is carried out: who runs its steps, and the audited ways past the freeze and the gate.</summary>
public sealed record ChangeOptions
{
    /// <summary>Run a Cloud Run plan through gcloud (the commands <c>plan --format shell</c> prints) instead of the APIs.</summary>
    public bool Gcloud { get; init; }

    /// <summary>The change ticket of an explicit unfreeze (<c>--unfreeze --change-ticket</c>); audited before anything runs.</summary>
    public string? ChangeTicket { get; init; }

    /// <summary>Why a deploy to the gate's target environment may skip the gate (<c>--override-gate --reason</c>); recorded.</summary>
    public string? GateOverride { get; init; }

    /// <summary>On cancel, let a running job execution finish instead of stopping it (<c>--wait-on-cancel</c>).</summary>
    public bool WaitOnCancel { get; init; }

    /// <summary>
    /// Why a deploy may pass its lane's verify checks without running them (<c>--skip-verify --reason</c>): the only way past
    /// them; audited before anything runs, and shown in the receipt and the deploy report. Null runs them.
    /// </summary>
    public string? SkipVerify { get; init; }
}

/// <summary>
/// The shared path of the plan verbs (deploy, traffic, rollback, migrate): plan, apply the release
/// rules, take the lane's lock, run the steps, record. The rules are checked holding the lock, so the
/// state they read cannot change before the plan runs.
/// </summary>
internal static class PlanRun
{
    /// <summary>
    /// The request over every target of its environment (only <see cref="PlanRequest.Region"/>'s when given), as waves in
    /// the environment's order: every wave is planned first, so bad input for any region changes nothing; then each
    /// runs under its own target's lock.
    /// </summary>
    public static async Task<WavesResult<ExecutionResult>> RunWavesAsync(Workspace ws, PlanRequest request, ChangeOptions options, IExecutionReporter reporter, IWaveReporter waves, CancellationToken ct)
    {
        var planned = Planner.PlanWaves(ws.Matrix, request with { Platform = ws.PlatformOverride, Unfreeze = options.ChangeTicket is not null });
        if (!planned.Ok)
        {
            throw ReleaseRules.Refused(new PlanResult(null, planned.Error, planned.ExitCode));
        }

        var plans = planned.Plans.Select(p => Plan(ws, request with { Region = p.Region ?? request.Region }, options)).ToList();
        return await WaveRunner.RunAsync([.. plans.Select(p => p.Target!)], planned.Order,
            (target, token) => RunAsync(ws, plans.First(p => p.Target == target), options, WaveRunner.StepsOf(reporter, target, planned.Order, plans.Count > 1), token),
            result => (result.ExitCode, result.Error), waves, ct);
    }

    public static async Task<ExecutionResult> RunAsync(Workspace ws, PlanRequest request, ChangeOptions options, IExecutionReporter reporter, CancellationToken ct) =>
        await RunAsync(ws, Plan(ws, request, options), options, reporter, ct);

    /// <summary>Runs one planned target under its lock.</summary>
    private static async Task<ExecutionResult> RunAsync(Workspace ws, Plan plan, ChangeOptions options, IExecutionReporter reporter, CancellationToken ct)
    {
        var runner = await RunnerAsync(ws, plan, options, ct);
        using var held = await ws.Locks.AcquireAsync(plan.Lane, plan.Scope!, PlanActions.Name(plan.Action), ct);
        var result = await RunLockedAsync(ws, plan, runner, options, reporter, overridden: null, ct);
        // A deploy that left traffic where it was says how it moves on (its plan's notes); one that failed after its
        // traffic moved (traffic: direct, whose deploy step itself moves it) says so too — its note names the rollback.
        var trafficMoved = result.Steps.Any(s => s.Ok && plan.Steps[s.Index - 1] is SetTraffic or DeployRevision { NoTraffic: false });
        return plan.Action == PlanAction.Deploy && (result.Ok || trafficMoved) ? result with { Notes = plan.Notes } : result;
    }

    /// <summary>Plans the request on the workspace's platform; a plan that cannot be made is an <see cref="OperationException"/> with its exit code.</summary>
    public static Plan Plan(Workspace ws, PlanRequest request, ChangeOptions options)
    {
        var planned = Planner.Plan(ws.Matrix, request with { Platform = ws.PlatformOverride, Unfreeze = options.ChangeTicket is not null });
        var plan = planned.Plan ?? throw ReleaseRules.Refused(planned);
        RequireCloudRunForGcloud(options, plan.Platform);
        return plan;
    }

    /// <summary>gcloud carries out Cloud Run targets only; asked for another platform it is bad input (exit 2).</summary>
    public static void RequireCloudRunForGcloud(ChangeOptions options, PlatformKind? platform)
    {
        if (options.Gcloud && platform != PlatformKind.CloudRun)
        {
            throw new OperationException("--executor gcloud carries out Cloud Run targets; this one is on the local platform (drop --executor, or add --platform cloudrun)", ExitCodes.BadInput);
        }
    }

    /// <summary>
    /// Who carries out a rollout's changes: under <c>--executor gcloud</c> one gcloud runner deploys the canary (as
    /// <c>deploy --executor gcloud</c> does) and moves every split (<c>gcloud run services update-traffic … --to-revisions</c>);
    /// else the platform's own calls. Reads and metrics stay with <paramref name="platform"/> either way.
    /// </summary>
    public static (IStepRunner Steps, ITrafficWriter Traffic) RolloutRunners(Workspace ws, IPlatform platform, ChangeOptions options)
    {
        if (!options.Gcloud)
        {
            return (new PlatformStepRunner(platform), new PlatformTrafficWriter(platform));
        }

        var gcloud = GcloudRunner(ws);
        return (gcloud, gcloud as ITrafficWriter ?? throw new OperationException("this build's gcloud executor cannot move a rollout's traffic", ExitCodes.BadInput));
    }

    private static IStepRunner GcloudRunner(Workspace ws) =>
        (ws.Gcloud ?? throw new OperationException("this build has no gcloud executor", ExitCodes.BadInput))(null);

    public static async Task<IStepRunner> RunnerAsync(Workspace ws, Plan plan, ChangeOptions options, CancellationToken ct) =>
        options.Gcloud
            ? GcloudRunner(ws)
            : new PlatformStepRunner(await ws.Platforms.OpenAsync(plan.Platform!.Value, ct));

    /// <summary>Runs a plan whose lane lock the caller holds: the rules, then the steps.</summary>
    /// <param name="overridden">Tags this operation already overrode the gate for (a compound operation records one override).</param>
    public static async Task<ExecutionResult> RunLockedAsync(Workspace ws, Plan plan, IStepRunner runner, ChangeOptions options, IExecutionReporter reporter, ISet<string>? overridden, CancellationToken ct)
    {
        var target = plan.Target!;
        if (options.ChangeTicket is { } ticket && ws.Matrix.FindLane(plan.Lane) is { Status: LaneStatus.Legacy } legacy)
        {
            ReleaseRules.RecordUnfreeze(ws, legacy, plan.Scope, ticket, $"{PlanActions.Name(plan.Action)} of legacy lane {legacy.Name}");
        }

        if (plan.Action is PlanAction.Deploy or PlanAction.SetTraffic or PlanAction.Rollback)
        {
            ReleaseRules.RefuseInMaintenance(ws, target, PlanActions.Name(plan.Action));
        }

        var content = plan.Tag is { } tag ? ReleaseContent.Of(ws.State, target, tag) : null;
        if (plan.Action == PlanAction.Deploy)
        {
            ReleaseRules.RequirePromotion(ws, target, plan.Tag!, content, options.GateOverride, overridden);
        }

        // Verify checks: run by the gate's runners, or skipped with the skip recorded before anything runs.
        var verify = !plan.Steps.OfType<RunVerifyCheck>().Any() ? null
            : options.SkipVerify is { } reason ? SkippedVerify.Record(ws, plan, reason)
            : (IVerifyRunner)new VerifyChecks(ws, target);
        var executor = new PlanExecutor(runner, ws.Recorder, ws.Time, reporter)
        {
            Verify = verify,
            JobRun = new JobRun(ws.LockWait, options.WaitOnCancel),
            Facts = content?.Digest is { } digest ? new Dictionary<string, string> { ["digest"] = digest } : new Dictionary<string, string>(),
            RecordedStable = ws.RecordedStable(target),
            RecordStable = revision => ws.State.RecordStable(PlatformNames.Name(target.Platform), target.ServiceScope, target.Service, revision),
        };
        var result = await executor.RunAsync(plan, ct);
        ChangeNotifications.Publish(ws, plan, result);
        if (plan.Action == PlanAction.Deploy && result.ExitCode == ExitCodes.Ok && content?.Digest is null
            && result.Facts.GetValueOrDefault("digest") is { } resolved && result.Facts.GetValueOrDefault("deployed_image") is { } image)
        {
            // A tag built elsewhere (gcloud, another CI) is bound to what the platform resolved it to at
            // its first deploy: from then on, other content under the tag is refused like a rebuild.
            ws.State.BindTag(PlatformNames.Name(target.Platform), target.Lane, plan.Tag!, resolved, image);
        }

        return result;
    }
}
