using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>The latest rollout of a lane with the traffic now and what a person can do next.</summary>
public sealed record RolloutStatusView(Rollout.Rollout Rollout, IReadOnlyList<TrafficAssignment> Traffic, string? Next);

/// <summary>What a person's request did: the rollout after it, and whether it took effect.</summary>
public sealed record RolloutControlResult(Rollout.Rollout Rollout, string Message, bool Done, string? Receipt);

/// <summary>
/// <c>rollout status|pause|resume|abort|promote</c>: look at the latest rollout and step in. A rollout
/// driven by a live process gets a request it acts on within <see cref="RolloutRunner.ControlPoll"/>;
/// one nobody drives (paused, held, or interrupted because its process died) is acted on here, holding
/// the lane's lock.
/// </summary>
public sealed class RolloutControlOperation(Workspace ws)
{
    /// <value>How long a request waits for the driving process to act on it; the default is 30 seconds.</value>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Move traffic this process carries out (resume, and abort or promote of a rollout nobody drives) through gcloud
    /// (<c>--executor gcloud</c>: <c>gcloud run services update-traffic … --to-revisions</c>; Cloud Run only, else exit 2).
    /// A request to a live driver is carried out with the driver's executor. Reads and metrics stay on the APIs.
    /// </summary>
    public bool Gcloud { get; init; }

    /// <summary>
    /// The region whose rollout is meant (<c>--region</c>); null where the lane runs in one, or to let the rollouts
    /// say which: the region whose rollout is unfinished (a sequential rollout has one at a time), else the one that ran last.
    /// </summary>
    public string? Region { get; init; }

    public async Task<RolloutStatusView> StatusAsync(string lane, string env, CancellationToken ct)
    {
        var target = Pick(lane, env);
        var rollout = Require(target);
        var service = await (await ws.Platforms.OpenAsync(target.Platform, ct)).GetServiceAsync(target, ct);
        var next = rollout.Shown switch
        {
            "running" => $"driven by {Driver(rollout)}; step in with: deploymatrix rollout pause|promote|abort {rollout.Lane} {target.Args}",
            "paused" or "held" or "interrupted" => $"deploymatrix rollout resume|promote|abort {rollout.Lane} {target.Args}",
            _ => null,
        };
        return new RolloutStatusView(rollout, service.Traffic, next);
    }

    /// <summary>Continues a paused, held or interrupted rollout from its stage, in this process.</summary>
    /// <param name="reason">Why, recorded with the actor in the rollout's journal and audit log; null: none given.</param>
    public async Task<RolloutOutcome> ResumeAsync(string lane, string env, Action<string> say, RolloutDriver drive, CancellationToken ct, string? reason = null)
    {
        var target = Pick(lane, env);
        var options = new ChangeOptions { Gcloud = Gcloud };
        PlanRun.RequireCloudRunForGcloud(options, target.Platform);
        var platform = await ws.Platforms.OpenAsync(target.Platform, ct);
        var traffic = PlanRun.RolloutRunners(ws, platform, options).Traffic;
        using var held = await ws.Locks.AcquireAsync(lane, target.Scope, "rollout resume", ct);
        var rollout = Require(target);
        if (rollout.Finished)
        {
            throw new OperationException($"rollout #{rollout.Id} already ended ({rollout.Shown}); nothing to resume");
        }

        if (rollout.DrivenElsewhere)
        {
            throw new OperationException($"rollout #{rollout.Id} is running in {Driver(rollout)}; nothing to resume");
        }

        say($"resuming rollout #{rollout.Id} of {rollout.Lane} in {target.Where} at {rollout.Stage}% ({rollout.Shown}): {rollout.Stable} → {rollout.Canary}");
        var request = await RequestAsync(platform, target, rollout, ct);
        return await RolloutOperation.DriveAsync(ws, platform, traffic, target, drive, runner => runner.ResumeAsync(rollout, request, ct, reason));
    }

    /// <summary>Pause, abort or promote: a request to the live driver (which moves traffic with its own executor), or carried out here when nobody drives the rollout.</summary>
    public async Task<RolloutControlResult> ControlAsync(string lane, string env, RolloutControl control, string? reason, IRolloutReporter reporter, CancellationToken ct)
    {
        var target = Pick(lane, env);
        var options = new ChangeOptions { Gcloud = Gcloud };
        PlanRun.RequireCloudRunForGcloud(options, target.Platform);
        var rollout = Require(target);
        var name = RolloutStates.Name(control);
        if (rollout.Finished)
        {
            throw new OperationException($"rollout #{rollout.Id} already ended ({rollout.Shown}); nothing to {name}");
        }

        if (rollout.DrivenElsewhere)
        {
            // The driving process acts on the request at its next poll; wait until it has.
            ws.State.RequestRolloutControl(rollout.Id, name, ws.Actor, reason);
            var deadline = ws.Time.GetUtcNow() + AckTimeout;
            while (Reload(rollout) is { State: RolloutState.Running, DrivenElsewhere: true })
            {
                if (ws.Time.GetUtcNow() >= deadline)
                {
                    throw new OperationException($"rollout #{rollout.Id} ({Driver(rollout)}) did not act on '{name}' within {AckTimeout.TotalSeconds:0}s; the request stays recorded");
                }

                await Task.Delay(RolloutRunner.ControlPoll, ws.Time, ct);
            }

            var after = Reload(rollout);
            if (!after.Interrupted)
            {
                return new RolloutControlResult(after, $"{after.Shown} at {after.Stage}% — {after.Reason}", after.State != RolloutState.Running, null);
            }

            // The driver died before it acted: nobody drives the rollout now, so the request is carried out here, as
            // for any interrupted rollout — and withdrawn first, or whoever resumes it later would act on it again.
            ws.State.TakeRolloutControl(rollout.Id);
            rollout = after;
        }

        if (control == RolloutControl.Pause && rollout.State == RolloutState.Paused)
        {
            return new RolloutControlResult(rollout, $"already paused at {rollout.Stage}%", true, null);
        }

        var platform = await ws.Platforms.OpenAsync(target.Platform, ct);
        using var held = await ws.Locks.AcquireAsync(lane, target.Scope, $"rollout {name}", ct);
        var request = await RequestAsync(platform, target, rollout, ct);
        var runner = new RolloutRunner(platform, ws.State, ws.Recorder, ws.Time, reporter, PlanRun.RolloutRunners(ws, platform, options).Traffic) { Notify = ws.Notify };
        var outcome = await runner.ApplyAsync(rollout, request, new RolloutControlRequest(control, ws.Actor, reason), ct);
        return new RolloutControlResult(Reload(rollout), outcome.Reason ?? name, true, outcome.Receipt);
    }

    /// <summary>
    /// What a person can do to a rollout now, by the name of the command (as <see cref="StatusAsync"/>'s next step says):
    /// nothing once it ended; pause, abort or promote while a live process drives it; resume, abort or promote when
    /// nobody does (paused, held, interrupted).
    /// </summary>
    public static IReadOnlyList<string> Actions(Rollout.Rollout rollout) =>
        rollout.Finished ? []
        : rollout.State == RolloutState.Running && !rollout.Interrupted ? ["pause", "abort", "promote"]
        : ["resume", "abort", "promote"];

    /// <summary>The target a command means: <see cref="Region"/>'s, the environment's one, or the one its rollouts point at.</summary>
    /// <exception cref="OperationException">Unfinished rollouts in several regions (exit 2, with the way to name one), or no rollout in any (exit 1).</exception>
    private ResolvedTarget Pick(string lane, string env)
    {
        var waves = ws.ResolveWaves(lane, env, Region);
        if (!waves.Several)
        {
            return waves.Targets[0];
        }

        var regions = string.Join(" or ", waves.Targets.Select(t => $"--region {t.Region}"));
        var latest = waves.Targets.Select(t => (Target: t, Rollout: Latest(ws, t))).Where(x => x.Rollout is not null).ToList();
        var open = latest.Where(x => !x.Rollout!.Finished).ToList();
        return open.Count switch
        {
            1 => open[0].Target,
            > 1 => throw new OperationException($"rollouts of {lane} are unfinished in {string.Join(" and ", open.Select(x => x.Target.Region))} ({env}); name one with {regions}", Core.ExitCodes.BadInput),
            _ when latest.Count > 0 => latest.MaxBy(x => x.Rollout!.Id).Target,
            _ => throw new OperationException($"no rollout of {lane} in {env} yet, in any of its regions; start one with: deploymatrix rollout {lane} --env {env}"),
        };
    }

    /// <summary>The lane's latest rollout in the target's environment, or null.</summary>
    internal static Rollout.Rollout? Latest(Workspace ws, ResolvedTarget target) =>
        ws.State.LatestRollout(target.Lane, target.Scope) is { } row ? Rollout.Rollout.From(row, ws.State.Owner) : null;

    private Rollout.Rollout Require(ResolvedTarget target) =>
        Latest(ws, target) ?? throw new OperationException($"no rollout of {target.Lane} in {target.Where} yet; start one with: deploymatrix rollout {target.Lane} {target.Args}");

    /// <summary>Who drives a rollout, as people read it: <c>pid N</c>, or <c>user@host pid N</c> when the state is shared.</summary>
    private string Driver(Rollout.Rollout rollout) => rollout.Row.OwnerPid is { } pid ? ws.State.Owner.Describe(pid) : "no process";

    private Rollout.Rollout Reload(Rollout.Rollout rollout) => Rollout.Rollout.From(ws.State.Rollout(rollout.Id)!, ws.State.Owner);

    private async Task<RolloutRequest> RequestAsync(IPlatform platform, ResolvedTarget target, Rollout.Rollout rollout, CancellationToken ct)
    {
        var service = await platform.GetServiceAsync(target, ct);
        var canary = service.Revisions.FirstOrDefault(r => r.Name == rollout.Canary);
        return new RolloutRequest(target, rollout.Stable, rollout.Canary)
        {
            Tag = canary?.Tag, Digest = canary?.Digest, CanaryChecks = Gate.CanaryGateChecks.For(ws, platform, target),
            CanaryTrafficTag = CanaryTag.ToGive(target, service, rollout.Canary),
        };
    }
}
