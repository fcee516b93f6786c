using System.Globalization;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Notifications;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Recording;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Rollout;

/// <summary>
/// Walks the canary through the policy's stages: set the split, wait the window and compare canary with
/// stable on what was measured in it (<see cref="StageAnalysis"/>), then advance — or send everything back to stable at
/// once. An inconclusive window is extended (bounded) and then rolls back or holds by policy; it never
/// passes. Every state change goes through <see cref="RolloutStates.Next"/>.
/// </summary>
/// <remarks>
/// The rollout is a journaled state machine in the state store: the stage it works on is recorded
/// before traffic moves, so a process killed at any point leaves a record another process can resume
/// from (the stage's split is set again and its window run again). While a window runs, the driver
/// reads requests left by other processes (pause, abort, promote) every <see cref="ControlPoll"/>.
/// Every traffic move goes through <paramref name="traffic"/> (default: the platform's own call), so the
/// gcloud executor moves traffic with the same rules; reads and metrics always come from the platform.
/// </remarks>
public sealed class RolloutRunner(IPlatform platform, StateStore state, Recorder recorder, TimeProvider time, IRolloutReporter reporter, ITrafficWriter? traffic = null)
{
    private readonly ITrafficWriter _traffic = traffic ?? new PlatformTrafficWriter(platform);

    /// <summary>How often a running window looks for a person's request: 0.2 s, so pause and abort act at once.</summary>
    public static readonly TimeSpan ControlPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>Where the rollout's start, passed stages and end are told (after the traffic moved; never waited for).</summary>
    public INotificationPublisher Notify { get; init; } = NoNotifications.Instance;

    public Task<RolloutOutcome> StartAsync(RolloutRequest request, CancellationToken ct)
    {
        var window = request.Window ?? request.Policy.Window;
        request = request with { Window = window };
        var log = recorder.Begin("rollout", request.Target.Lane, request.Target.Scope);
        var id = state.StartRollout(request.Target.Lane, request.Target.Scope, request.Stable, request.Canary, request.Policy.Stages, window,
            RolloutStates.Name(RolloutState.Running));
        Note(log, request, $"rollout #{id}", $"started: {request.Stable} → {request.Canary}, stages {string.Join(", ", request.Policy.Stages)}");
        Tell(NotifyEvent.RolloutStarted, id, request, null, $"started: {request.Stable} → {request.Canary}, stages {string.Join(", ", request.Policy.Stages.Select(p => $"{p}%"))}");
        return DriveAsync(new Run(id, log, request), 0, ct);
    }

    /// <summary>Continues a paused, held or interrupted rollout from the stage it stood at, with the stages and window it started with.</summary>
    /// <param name="reason">Why, recorded with who resumed it (the dashboard asks for one); null: none given.</param>
    /// <exception cref="OperationException">It ended, or a live process drives it.</exception>
    public Task<RolloutOutcome> ResumeAsync(Rollout rollout, RolloutRequest request, CancellationToken ct, string? reason = null)
    {
        var run = Claim(rollout, RolloutEvent.Resume, Recorded(rollout, request));
        var why = reason is null ? "" : $" by {recorder.Actor}: {reason}";
        Note(run.Log, run.Request, $"rollout #{rollout.Id}", $"resumed at {rollout.Stage}% (was {rollout.Shown}){why}");
        return DriveAsync(run, rollout.StageIndex, ct);
    }

    /// <summary>Carries out a person's request on a rollout no live process drives (paused, held, interrupted).</summary>
    /// <exception cref="OperationException">It ended, or a live process drives it.</exception>
    public Task<RolloutOutcome> ApplyAsync(Rollout rollout, RolloutRequest request, RolloutControlRequest control, CancellationToken ct)
    {
        var run = Claim(rollout, RolloutStates.EventOf(control.Control), Recorded(rollout, request));
        return GuardAsync(run, rollout.StageIndex, () => ActAsync(run, rollout.StageIndex, control, [], ct));
    }

    /// <summary>One process's run of a rollout: its id, its journal and what it rolls out.</summary>
    private sealed record Run(long Id, OperationLog Log, RolloutRequest Request);

    private Run Claim(Rollout rollout, RolloutEvent happened, RolloutRequest request)
    {
        // Checked against the machine first: a finished rollout cannot be resumed or acted on.
        try
        {
            RolloutStates.Next(rollout.State, happened);
        }
        catch (InvalidRolloutTransition)
        {
            throw new OperationException($"rollout #{rollout.Id} already ended ({rollout.Shown}); nothing to {happened.ToString().ToLowerInvariant()}");
        }

        var claimed = state.ClaimRollout(rollout.Id, RolloutStates.Name(RolloutState.Running), row =>
        {
            var current = Rollout.From(row, state.Owner);
            return !current.Finished && !current.DrivenElsewhere;
        });
        if (!claimed)
        {
            // Said as it is now: a resumer that lost a race names the one that won.
            var now = state.Rollout(rollout.Id) is { } row ? Rollout.From(row, state.Owner) : rollout;
            throw new OperationException($"rollout #{rollout.Id} is {now.Shown}{(now.Row.OwnerPid is { } pid ? $" in {state.Owner.Describe(pid)}" : "")} and cannot be taken over");
        }

        return new Run(rollout.Id, recorder.Begin("rollout", rollout.Lane, rollout.Env), request);
    }

    private static RolloutRequest Recorded(Rollout rollout, RolloutRequest request) => request with
    {
        Stable = rollout.Stable,
        Canary = rollout.Canary,
        Policy = request.Policy with { Stages = rollout.Stages },
        Window = rollout.Window,
    };

    private Task<RolloutOutcome> DriveAsync(Run run, int from, CancellationToken ct) =>
        GuardAsync(run, from, () => StagesAsync(run, from, ct));

    /// <summary>A platform failure or a signal holds the rollout where it stood (traffic possibly split), so the gate blocks promotion until a person acts.</summary>
    private async Task<RolloutOutcome> GuardAsync(Run run, int index, Func<Task<RolloutOutcome>> work)
    {
        var stages = run.Request.Policy.Stages;
        using var span = RolloutSpans.StartRollout(run.Id, run.Request);
        try
        {
            return RolloutSpans.EndRollout(span, await work());
        }
        catch (Exception e) when (e is PlatformException or OperationCanceledException)
        {
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e is OperationCanceledException ? "stopped by a signal" : e.Message);
            var row = state.Rollout(run.Id);
            var at = Math.Clamp(row?.StageIndex ?? index, 0, stages.Count - 1);
            var held = RolloutStates.Next(RolloutState.Running, RolloutEvent.Interrupted);
            var why = e is OperationCanceledException ? "stopped by a signal" : e.Message;
            run.Log.Stop(RolloutStates.Name(held), why, () => state.UpdateRollout(run.Id, RolloutStates.Name(held), at, stages[at], why, driven: false), Inputs(run.Id, run.Request));
            throw;
        }
    }

    private async Task<RolloutOutcome> StagesAsync(Run run, int from, CancellationToken ct)
    {
        var request = run.Request;
        var stages = new List<StageOutcome>();
        var stageList = request.Policy.Stages;
        for (var index = from; index < stageList.Count; index++)
        {
            var percent = stageList[index];
            using var span = RolloutSpans.StartStage(request, percent);
            // Recorded before traffic moves: a crash from here on resumes this stage.
            state.UpdateRollout(run.Id, RolloutStates.Name(RolloutState.Running), index, percent, null, driven: true);
            var ran = await SetSplitAsync(request, percent, ct);
            var splitAt = time.GetUtcNow();
            var tagged = percent == 0 && request.CanaryTrafficTag is { } given ? $"; canary tagged {given} for its own URL" : "";
            Note(run.Log, request, Stage(percent), (ran is null ? "traffic set" : $"traffic set: {ran}") + tagged);
            reporter.Progress(new RolloutProgress(run.Id, percent, index, stageList, request.Stable, request.Canary, null, null, null));
            if (Take(run.Id) is { } early)
            {
                return await ActAsync(run, index, early, stages, ct);
            }

            if (percent == 0 && await CheckCanaryAloneAsync(request, ct) is { } refused)
            {
                // Failed before any user reached it: back to stable (which still serves everything).
                stages.Add(new StageOutcome(percent, Verdict.Fail, refused));
                RolloutSpans.StageVerdict(span, Verdict.Fail, refused);
                Note(run.Log, request, Stage(percent), $"fail: {refused}");
                reporter.Stage(percent, $"FAIL: {refused}");
                await MoveAsync(run, Stage(percent), request.Stable, ct);
                return Finish(run, index, RolloutStates.Next(RolloutState.Running, RolloutEvent.StageFailed, request.Policy.OnInconclusive),
                    $"stage 0% failed: {refused}; rolled back to {request.Stable}", stages);
            }

            if (percent is 0 or 100)
            {
                var passed = percent == 0
                    ? $"canary ready with no traffic{(request.Target.Smoke.Count > 0 ? $"; its own URL passed {request.Target.Smoke.Count} smoke check(s)" : "")}"
                    : "canary takes all traffic";
                stages.Add(new StageOutcome(percent, Verdict.Pass, passed));
                RolloutSpans.StageVerdict(span, Verdict.Pass, passed);
                reporter.Stage(percent, stages[^1].Explanation);
                Tell(NotifyEvent.StagePassed, run.Id, request, percent, $"stage {percent}% passed: {passed}");
                continue;
            }

            var (result, control, judged) = await new StageAnalysis(platform, time, reporter, () => Take(run.Id)).RunAsync(run.Id, request, index, splitAt, ct);
            if (control is not null)
            {
                return await ActAsync(run, index, control, stages, ct);
            }

            var explanation = (result!.Verdict == Verdict.Pass ? string.Join("; ", result.Findings.Select(f => $"{f.Metric}: {f.Explanation}")) : result.Explain()) + judged;
            stages.Add(new StageOutcome(percent, result.Verdict, explanation));
            RolloutSpans.StageVerdict(span, result.Verdict, explanation);
            Note(run.Log, request, Stage(percent), $"{result.Verdict.ToString().ToLowerInvariant()}: {explanation}");
            reporter.Stage(percent, $"{result.Verdict.ToString().ToUpperInvariant()}: {explanation}");
            if (result.Verdict == Verdict.Pass)
            {
                Tell(NotifyEvent.StagePassed, run.Id, request, percent, $"stage {percent}% passed: {explanation}");
                continue;
            }

            var next = RolloutStates.Next(RolloutState.Running, result.Verdict == Verdict.Fail ? RolloutEvent.StageFailed : RolloutEvent.StageInconclusive,
                request.Policy.OnInconclusive, rollbackSafe: request.RollbackUnsafe is null);
            if (next == RolloutState.Paused)
            {
                var held = $"stage {percent}% stayed inconclusive: {result.Explain()}; holding the split for a person";
                Pause(run, index, percent, held);
                Tell(NotifyEvent.RolloutHeld, run.Id, request, percent, held, RolloutStates.Name(RolloutState.Paused));
                return new RolloutOutcome(run.Id, RolloutEnd.Paused, held, stages, null);
            }

            if (next == RolloutState.Held)
            {
                // The roll-forward rule: the stable release cannot serve the migrated schema, so the split is held.
                var holding = $"stage {percent}% {(result.Verdict == Verdict.Fail ? "failed" : "stayed inconclusive")}: {result.Explain()}; holding the split at {percent}% instead of rolling back (the roll-forward rule): rollback is not safe ({request.RollbackUnsafe}); roll forward with a fix, or decide with rollout resume|promote|abort";
                Hold(run, index, percent, holding);
                Tell(NotifyEvent.RolloutHeld, run.Id, request, percent, holding, RolloutStates.Name(RolloutState.Held));
                return new RolloutOutcome(run.Id, RolloutEnd.Held, holding, stages, null);
            }

            await MoveAsync(run, Stage(percent), request.Stable, ct);
            var reason = $"stage {percent}% {(result.Verdict == Verdict.Fail ? "failed" : "stayed inconclusive")}: {result.Explain()}; rolled back to {request.Stable}";
            return Finish(run, index, next, reason, stages);
        }

        return Finish(run, stageList.Count - 1, RolloutStates.Next(RolloutState.Running, RolloutEvent.Completed), null, stages);
    }

    /// <summary>
    /// The 0% stage's check: the lane's smoke checks on the canary's own URL (Cloud Run's tag URL, the local
    /// revision's port), then the request's further checks (<see cref="RolloutRequest.CanaryChecks"/>), before
    /// any user request can reach it. Returns why it failed, or null.
    /// </summary>
    private async Task<string?> CheckCanaryAloneAsync(RolloutRequest request, CancellationToken ct)
    {
        if (await SmokeCheckCanaryAsync(request, ct) is { } failed)
        {
            return failed;
        }

        return request.CanaryChecks is { } more ? await more(request.Canary, ct) : null;
    }

    private async Task<string?> SmokeCheckCanaryAsync(RolloutRequest request, CancellationToken ct)
    {
        if (request.Target.Smoke.Count == 0)
        {
            return null;
        }

        var url = await platform.UrlAsync(request.Target, request.Canary, ct);
        foreach (var smoke in request.Target.Smoke)
        {
            try
            {
                var check = new Uri(url, smoke.Path);
                await Execution.SmokeProbe.GetAsync(check, smoke.Expect, smoke.Contains, await platform.InvokerCredentialsAsync(request.Target, check, ct), request.Target.Serving.Protocol == ServingProtocol.H2c, ct);
            }
            catch (PlatformException e)
            {
                return $"canary {request.Canary} failed its smoke check on its own URL before taking traffic: {e.Message}";
            }
        }

        return null;
    }

    /// <summary>Carries out pause, abort or promote at the stage the rollout stands at.</summary>
    private async Task<RolloutOutcome> ActAsync(Run run, int index, RolloutControlRequest control, List<StageOutcome> stages, CancellationToken ct)
    {
        var request = run.Request;
        var percent = request.Policy.Stages[Math.Min(index, request.Policy.Stages.Count - 1)];
        var why = control.Reason is null ? "" : $": {control.Reason}";
        var next = RolloutStates.Next(RolloutState.Running, RolloutStates.EventOf(control.Control));
        switch (control.Control)
        {
            case RolloutControl.Pause:
                var paused = $"paused by {control.Actor} at {percent}%{why}";
                Pause(run, index, percent, paused, control.Actor);
                reporter.Stage(percent, paused);
                return new RolloutOutcome(run.Id, RolloutEnd.Paused, paused, stages, null);
            case RolloutControl.Abort:
                await MoveAsync(run, Stage(percent), request.Stable, ct);
                return Finish(run, index, next, $"aborted by {control.Actor} at {percent}%{why}; all traffic back on {request.Stable}", stages, control.Actor);
            default:
                await MoveAsync(run, Stage(percent), request.Canary, ct);
                var skipped = request.Policy.Stages.Skip(index + 1).Where(s => s != 100).ToList();
                var note = skipped.Count == 0 ? "" : $", skipping {string.Join(", ", skipped.Select(s => $"{s}%"))}";
                return Finish(run, request.Policy.Stages.Count - 1, next, $"promoted by {control.Actor} at {percent}%{note}{why}", stages, control.Actor);
        }
    }

    /// <param name="actor">Who asked for the pause, which the audit record names rather than the process that carried it out; null: this process's actor (a pause the rollout decided itself).</param>
    private void Pause(Run run, int index, int percent, string reason, string? actor = null) => Stop(run, RolloutState.Paused, index, percent, reason, actor);

    private void Hold(Run run, int index, int percent, string reason) => Stop(run, RolloutState.Held, index, percent, reason);

    /// <summary>Leaves the split as it is for a person: the rollout row, the stage's journal entry and the journal's stop, in that order.</summary>
    /// <param name="actor">Who asked for it (the audit record names them); null: this process's actor.</param>
    private void Stop(Run run, RolloutState at, int index, int percent, string reason, string? actor = null)
    {
        var name = RolloutStates.Name(at);
        Note(run.Log, run.Request, Stage(percent), $"{name}: {reason}", () => state.UpdateRollout(run.Id, name, index, percent, reason, driven: false), actor);
        run.Log.Stop(name, reason);
    }

    /// <param name="actor">Who ended it by a request (abort, promote), which the audit record names; null: this process's actor.</param>
    private RolloutOutcome Finish(Run run, int index, RolloutState end, string? reason, List<StageOutcome> stages, string? actor = null)
    {
        var request = run.Request;
        var percent = request.Policy.Stages[index];
        var status = RolloutStates.Name(end);
        var facts = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["rollout_id"] = run.Id.ToString(CultureInfo.InvariantCulture),
            ["stable_revision"] = request.Stable,
            ["canary_revision"] = request.Canary,
            ["rollout_status"] = status,
            ["stopped_at_stage"] = percent.ToString(CultureInfo.InvariantCulture),
        };
        if (request.Digest is { } digest)
        {
            facts["digest"] = digest;
        }

        if (end != RolloutState.Succeeded)
        {
            facts["rollback_to"] = request.Stable;
        }
        else if (reason is not null)
        {
            facts["rollout_reason"] = reason;
        }

        var now = time.GetUtcNow();
        var steps = stages.Select((s, i) => new StepOutcome(i + 1, "rollout-stage", Stage(s.Percent), s.Verdict == Verdict.Pass, s.Explanation, now, now)).ToList();
        var receipt = recorder.Receipts.Write(request.Target.Ref, "rollout", request.Tag, steps, facts, end == RolloutState.Succeeded ? null : reason);
        var detail = end == RolloutState.Succeeded ? $"succeeded{(reason is null ? "" : $" ({reason})")}" : $"{status}: {reason}";
        run.Log.End(status, Inputs(run.Id, request), detail, receipt, alsoInTransaction: () => state.UpdateRollout(run.Id, status, index, percent, reason, driven: false), actor: actor);
        Tell(end == RolloutState.Succeeded ? NotifyEvent.RolloutSucceeded : NotifyEvent.RolloutFailed, run.Id, request, percent, detail, status);
        return new RolloutOutcome(run.Id, end switch
        {
            RolloutState.Succeeded => RolloutEnd.Succeeded,
            RolloutState.Aborted => RolloutEnd.Aborted,
            _ => RolloutEnd.Failed,
        }, reason, stages, receipt);
    }

    private RolloutControlRequest? Take(long id) =>
        state.TakeRolloutControl(id) is { } row ? new RolloutControlRequest(RolloutStates.ParseControl(row.Control), row.Actor, row.Reason) : null;

    /// <summary>All traffic to <paramref name="revision"/> (back to stable, or promoted); a command the writer ran is journaled with the stage.</summary>
    private async Task MoveAsync(Run run, string step, string revision, CancellationToken ct)
    {
        if (await _traffic.SetTrafficAsync(run.Request.Target, [new TrafficAssignment(revision, 100)], ct) is { } ran)
        {
            Note(run.Log, run.Request, step, $"all traffic to {revision}: {ran}");
        }
    }

    private Task<string?> SetSplitAsync(RolloutRequest request, int percent, CancellationToken ct) =>
        _traffic.SetTrafficAsync(request.Target, percent switch
        {
            // The canary named at 0%: it stays addressable on its own URL (locally its process is started) for the stage's check.
            0 => [new TrafficAssignment(request.Stable, 100), new TrafficAssignment(request.Canary, 0) { Tag = request.CanaryTrafficTag }],
            100 => [new TrafficAssignment(request.Canary, 100)],
            _ => [new TrafficAssignment(request.Stable, 100 - percent), new TrafficAssignment(request.Canary, percent)],
        }, ct);

    /// <summary>Tells the channels of the rollout's progress, with its revisions and release.</summary>
    private void Tell(NotifyEvent kind, long id, RolloutRequest request, int? percent, string text, string? status = null) =>
        Notify.About(time, recorder.Actor, kind, request.Target, $"rollout #{id} of {request.Target.Lane} in {request.Target.Where} {text}", new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["rollout_id"] = id.ToString(CultureInfo.InvariantCulture),
            ["stable_revision"] = request.Stable,
            ["canary_revision"] = request.Canary,
            ["stage"] = percent?.ToString(CultureInfo.InvariantCulture),
            ["rollout_status"] = status,
            ["tag"] = request.Tag,
            ["digest"] = request.Digest,
        });

    private static string Stage(int percent) => string.Create(CultureInfo.InvariantCulture, $"stage {percent}%");

    private static Dictionary<string, string?> Inputs(long id, RolloutRequest request) => new(StringComparer.Ordinal)
    {
        ["rollout"] = id.ToString(CultureInfo.InvariantCulture),
        ["stable"] = request.Stable,
        ["canary"] = request.Canary,
    };

    /// <summary>A stage's journal row and its audit record ("rollout-stage"), with the rollout row when it changes, in one transaction.</summary>
    private static void Note(OperationLog log, RolloutRequest request, string step, string detail, Action? row = null, string? actor = null)
    {
        var inputs = new Dictionary<string, string?>(StringComparer.Ordinal) { ["stage"] = step, ["stable"] = request.Stable, ["canary"] = request.Canary };
        log.Note(step, detail, "rollout-stage", inputs, row, actor);
    }
}
