using System.Globalization;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Recording;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Rollout;

/// <summary>
/// Walks the canary through the policy's stages: set the split, wait the window, compare canary with
/// stable on what was measured in that window, then advance — or send everything back to stable at
/// once. An inconclusive window is extended (bounded) and then rolls back or holds by policy; it never
/// passes. Every state change goes through <see cref="RolloutStates.Next"/>.
/// </summary>
/// <remarks>
/// The rollout is a journaled state machine in the state store: the stage it works on is recorded
/// before traffic moves, so a process killed at any point leaves a record another process can resume
/// from (the stage's split is set again and its window run again). While a window runs, the driver
/// reads requests left by other processes (pause, abort, promote) every <see cref="ControlPoll"/>.
/// </remarks>
public sealed class RolloutRunner(IPlatform platform, StateStore state, Recorder recorder, TimeProvider time, IRolloutReporter reporter)
{
    /// <summary>How often a running window looks for a person's request: 0.2 s, so pause and abort act at once.</summary>
    public static readonly TimeSpan ControlPoll = TimeSpan.FromMilliseconds(200);

    // Live figures once a second: cheap locally, and within Cloud Monitoring's read quota.
    private const int ProgressEvery = 5;

    public Task<RolloutOutcome> StartAsync(RolloutRequest request, CancellationToken ct)
    {
        var window = request.Window ?? request.Policy.Window;
        request = request with { Window = window };
        var log = recorder.Begin("rollout", request.Target.Lane, request.Target.Environment);
        var id = state.StartRollout(request.Target.Lane, request.Target.Environment, request.Stable, request.Canary, request.Policy.Stages, window,
            RolloutStates.Name(RolloutState.Running));
        Note(log, request, $"rollout #{id}", $"started: {request.Stable} → {request.Canary}, stages {string.Join(", ", request.Policy.Stages)}");
        return DriveAsync(new Run(id, log, request), 0, ct);
    }

    /// <summary>Continues a paused, held or interrupted rollout from the stage it stood at, with the stages and window it started with.</summary>
    /// <exception cref="OperationException">It ended, or a live process drives it.</exception>
    public Task<RolloutOutcome> ResumeAsync(Rollout rollout, RolloutRequest request, CancellationToken ct)
    {
        var run = Claim(rollout, RolloutEvent.Resume, Recorded(rollout, request));
        Note(run.Log, run.Request, $"rollout #{rollout.Id}", $"resumed at {rollout.Stage}% (was {rollout.Shown})");
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
        try
        {
            return await work();
        }
        catch (Exception e) when (e is PlatformException or OperationCanceledException)
        {
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
            // Recorded before traffic moves: a crash from here on resumes this stage.
            state.UpdateRollout(run.Id, RolloutStates.Name(RolloutState.Running), index, percent, null, driven: true);
            await SetSplitAsync(request, percent, ct);
            var splitAt = time.GetUtcNow();
            Note(run.Log, request, Stage(percent), "traffic set");
            reporter.Progress(new RolloutProgress(run.Id, percent, index, stageList, request.Stable, request.Canary, null, null, null));
            if (Take(run.Id) is { } early)
            {
                return await ActAsync(run, index, early, stages, ct);
            }

            if (percent == 0 && await CheckCanaryAloneAsync(request, ct) is { } refused)
            {
                // Failed before any user reached it: back to stable (which still serves everything).
                stages.Add(new StageOutcome(percent, Verdict.Fail, refused));
                Note(run.Log, request, Stage(percent), $"fail: {refused}");
                reporter.Stage(percent, $"FAIL: {refused}");
                await platform.SetTrafficAsync(request.Target, [new TrafficAssignment(request.Stable, 100)], ct);
                return Finish(run, index, RolloutStates.Next(RolloutState.Running, RolloutEvent.StageFailed, request.Policy.OnInconclusive),
                    $"stage 0% failed: {refused}; rolled back to {request.Stable}", stages);
            }

            if (percent is 0 or 100)
            {
                var passed = percent == 0
                    ? $"canary ready with no traffic{(request.Target.Smoke.Count > 0 ? $"; its own URL passed {request.Target.Smoke.Count} smoke check(s)" : "")}"
                    : "canary takes all traffic";
                stages.Add(new StageOutcome(percent, Verdict.Pass, passed));
                reporter.Stage(percent, stages[^1].Explanation);
                continue;
            }

            var (result, control, judged) = await AnalyseStageAsync(run.Id, request, index, splitAt, ct);
            if (control is not null)
            {
                return await ActAsync(run, index, control, stages, ct);
            }

            var explanation = (result!.Verdict == Verdict.Pass ? string.Join("; ", result.Findings.Select(f => $"{f.Metric}: {f.Explanation}")) : result.Explain()) + judged;
            stages.Add(new StageOutcome(percent, result.Verdict, explanation));
            Note(run.Log, request, Stage(percent), $"{result.Verdict.ToString().ToLowerInvariant()}: {explanation}");
            reporter.Stage(percent, $"{result.Verdict.ToString().ToUpperInvariant()}: {explanation}");
            if (result.Verdict == Verdict.Pass)
            {
                continue;
            }

            var next = RolloutStates.Next(RolloutState.Running, result.Verdict == Verdict.Fail ? RolloutEvent.StageFailed : RolloutEvent.StageInconclusive, request.Policy.OnInconclusive);
            if (next == RolloutState.Paused)
            {
                var held = $"stage {percent}% stayed inconclusive: {result.Explain()}; holding the split for a person";
                Pause(run, index, percent, held);
                return new RolloutOutcome(run.Id, RolloutEnd.Paused, held, stages, null);
            }

            await platform.SetTrafficAsync(request.Target, [new TrafficAssignment(request.Stable, 100)], ct);
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

    /// <summary>
    /// Waits the window (extending it while inconclusive) and analyses; or returns the request a person left meanwhile.
    /// The stage is judged on what the platform's metrics can vouch for (<see cref="MetricsCadence"/>): from the
    /// first period boundary after the split was set to the last one inside the window, read once visible —
    /// on Cloud Monitoring the split is held up to its delay past the window, so the last minutes are judged too.
    /// </summary>
    private async Task<(AnalysisResult? Result, RolloutControlRequest? Control, string Judged)> AnalyseStageAsync(long id, RolloutRequest request, int index, DateTimeOffset splitAt, CancellationToken ct)
    {
        var percent = request.Policy.Stages[index];
        var window = request.Window ?? request.Policy.Window;
        var cadence = platform.MetricsCadence;
        var from = cadence.PeriodStartFrom(splitAt);
        IReadOnlyDictionary<string, RevisionSample>? before = null;
        var seen = from;
        var ends = splitAt;
        var extensions = 0;
        while (true)
        {
            ends += window;
            var until = cadence.PeriodEndBefore(ends);
            reporter.Stage(percent, string.Create(CultureInfo.InvariantCulture, $"canary at {percent}%, analysing for {window.TotalSeconds:0.#} s{Judged(cadence, from, until)}"));
            var polls = 0;
            var waitingNoted = false;
            while (true)
            {
                var now = time.GetUtcNow();
                var visible = cadence.VisibleUntil(now);
                if (before is null && visible >= from)
                {
                    before = await platform.GetRevisionMetricsAsync(request.Target, from, ct);
                }

                if (now >= ends && visible >= until)
                {
                    break;
                }

                if (now >= ends && !waitingNoted)
                {
                    waitingNoted = true;
                    reporter.Stage(percent, string.Create(CultureInfo.InvariantCulture,
                        $"window over; holding the split until the metrics up to {until:HH:mm:ss}Z are visible (up to {cadence.Delay.TotalSeconds:0} s)"));
                }

                // Waits for the window's end, then for its last period to become visible.
                var next = now < ends ? ends : until + cadence.Delay;
                var left = next - now;
                await Task.Delay(left < ControlPoll ? left : ControlPoll, time, ct);
                if (Take(id) is { } control)
                {
                    return (null, control, "");
                }

                // Live counters are looked at every second; periodic ones when another period became visible.
                var upTo = cadence.IsLive ? time.GetUtcNow() : Min(cadence.VisibleUntil(time.GetUtcNow()), until);
                if (before is null || (cadence.IsLive ? ++polls % ProgressEvery != 0 : upTo <= seen))
                {
                    continue;
                }

                seen = upTo;
                var current = await platform.GetRevisionMetricsAsync(request.Target, upTo, ct);
                var (stableSoFar, canarySoFar) = (Delta(current, before, request.Stable), Delta(current, before, request.Canary));
                reporter.Progress(new RolloutProgress(id, percent, index, request.Policy.Stages, request.Stable, request.Canary,
                    stableSoFar, canarySoFar, Max(ends - time.GetUtcNow(), TimeSpan.Zero)));
                // A canary that clearly errs is not given the rest of the window to hurt users.
                if (CanaryAnalysis.EarlyFailure(canarySoFar, stableSoFar, request.Policy.Gates) is { } early)
                {
                    return (early, null, Judged(cadence, from, Min(upTo, until)));
                }
            }

            // A window shorter than one whole period (refused on Cloud Run by validate) has nothing to judge.
            before ??= new Dictionary<string, RevisionSample>(StringComparer.Ordinal);
            var after = until > from || cadence.IsLive ? await platform.GetRevisionMetricsAsync(request.Target, until, ct) : before;
            var result = CanaryAnalysis.Analyze(Delta(after, before, request.Canary), Delta(after, before, request.Stable), request.Policy.Gates);
            if (result.Verdict != Verdict.Inconclusive || extensions++ >= request.Policy.MaxExtensions)
            {
                return (result, null, Judged(cadence, from, until));
            }

            reporter.Stage(percent, $"inconclusive, extending the window ({result.Explain()})");
        }
    }

    /// <summary>"; judged on 12:01:00Z–12:04:00Z (3 whole 60 s periods)" for periodic metrics; nothing for live ones.</summary>
    private static string Judged(MetricsCadence cadence, DateTimeOffset from, DateTimeOffset until) => cadence.IsLive
        ? ""
        : string.Create(CultureInfo.InvariantCulture,
            $"; judged on {from:HH:mm:ss}Z–{until:HH:mm:ss}Z ({Math.Max(0, (long)((until - from) / cadence.Period))} whole {cadence.Period.TotalSeconds:0} s periods)");

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

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
                Pause(run, index, percent, paused);
                reporter.Stage(percent, paused);
                return new RolloutOutcome(run.Id, RolloutEnd.Paused, paused, stages, null);
            case RolloutControl.Abort:
                await platform.SetTrafficAsync(request.Target, [new TrafficAssignment(request.Stable, 100)], ct);
                return Finish(run, index, next, $"aborted by {control.Actor} at {percent}%{why}; all traffic back on {request.Stable}", stages);
            default:
                await platform.SetTrafficAsync(request.Target, [new TrafficAssignment(request.Canary, 100)], ct);
                var skipped = request.Policy.Stages.Skip(index + 1).Where(s => s != 100).ToList();
                var note = skipped.Count == 0 ? "" : $", skipping {string.Join(", ", skipped.Select(s => $"{s}%"))}";
                return Finish(run, request.Policy.Stages.Count - 1, next, $"promoted by {control.Actor} at {percent}%{note}{why}", stages);
        }
    }

    private void Pause(Run run, int index, int percent, string reason)
    {
        var paused = RolloutStates.Name(RolloutState.Paused);
        Note(run.Log, run.Request, Stage(percent), $"paused: {reason}", () => state.UpdateRollout(run.Id, paused, index, percent, reason, driven: false));
        run.Log.Stop(paused, reason);
    }

    private RolloutOutcome Finish(Run run, int index, RolloutState end, string? reason, List<StageOutcome> stages)
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
        run.Log.End(status, Inputs(run.Id, request), detail, receipt, alsoInTransaction: () => state.UpdateRollout(run.Id, status, index, percent, reason, driven: false));
        return new RolloutOutcome(run.Id, end switch
        {
            RolloutState.Succeeded => RolloutEnd.Succeeded,
            RolloutState.Aborted => RolloutEnd.Aborted,
            _ => RolloutEnd.Failed,
        }, reason, stages, receipt);
    }

    private RolloutControlRequest? Take(long id) =>
        state.TakeRolloutControl(id) is { } row ? new RolloutControlRequest(RolloutStates.ParseControl(row.Control), row.Actor, row.Reason) : null;

    private Task SetSplitAsync(RolloutRequest request, int percent, CancellationToken ct) =>
        platform.SetTrafficAsync(request.Target, percent switch
        {
            // The canary named at 0%: it stays addressable on its own URL (locally its process is started) for the stage's check.
            0 => [new TrafficAssignment(request.Stable, 100), new TrafficAssignment(request.Canary, 0)],
            100 => [new TrafficAssignment(request.Canary, 100)],
            _ => [new TrafficAssignment(request.Stable, 100 - percent), new TrafficAssignment(request.Canary, percent)],
        }, ct);

    private static string Stage(int percent) => string.Create(CultureInfo.InvariantCulture, $"stage {percent}%");

    private static Dictionary<string, string?> Inputs(long id, RolloutRequest request) => new(StringComparer.Ordinal)
    {
        ["rollout"] = id.ToString(CultureInfo.InvariantCulture),
        ["stable"] = request.Stable,
        ["canary"] = request.Canary,
    };

    /// <summary>A stage's journal row and its audit record ("rollout-stage"), with the rollout row when it changes, in one transaction.</summary>
    private static void Note(OperationLog log, RolloutRequest request, string step, string detail, Action? row = null)
    {
        var inputs = new Dictionary<string, string?>(StringComparer.Ordinal) { ["stage"] = step, ["stable"] = request.Stable, ["canary"] = request.Canary };
        log.Note(step, detail, "rollout-stage", inputs, row);
    }

    /// <summary>What a revision handled between two reads of its cumulative counters.</summary>
    internal static RevisionSample Delta(IReadOnlyDictionary<string, RevisionSample> after, IReadOnlyDictionary<string, RevisionSample> before, string revision)
    {
        if (!after.TryGetValue(revision, out var end))
        {
            return new RevisionSample(revision, 0, 0, [], [1]);
        }

        if (!before.TryGetValue(revision, out var start) || start.Requests > end.Requests)
        {
            return end;
        }

        var histogram = end.Histogram.Select((count, i) => count - (i < start.Histogram.Count ? start.Histogram[i] : 0)).ToArray();
        return new RevisionSample(revision, end.Requests - start.Requests, end.Failed - start.Failed, histogram, end.BucketBoundsMs);
    }
}
