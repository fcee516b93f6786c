using System.Globalization;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Audit;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Rollout;

/// <summary>
/// Walks the canary through the policy's stages: set the split, wait the window, compare canary with
/// stable on what was measured in that window, then advance — or send everything back to stable at
/// once. An inconclusive window is extended (bounded) and then rolls back or holds by policy; it never
/// passes.
/// </summary>
/// <remarks>
/// The rollout is a journaled state machine in the state store: the stage it works on is recorded
/// before traffic moves, so a process killed at any point leaves a record another process can resume
/// from (the stage's split is set again and its window run again). While a window runs, the driver
/// reads requests left by other processes (pause, abort, promote) every <see cref="ControlPoll"/>.
/// </remarks>
public sealed class RolloutRunner(IPlatform platform, StateStore state, TimeProvider time, IRolloutReporter reporter, string actor, ReceiptWriter receipts)
{
    public static readonly TimeSpan ControlPoll = TimeSpan.FromMilliseconds(200);

    // Live figures once a second: cheap locally, and within Cloud Monitoring's read quota.
    private const int ProgressEvery = 5;

    public Task<RolloutOutcome> StartAsync(RolloutRequest request, CancellationToken ct)
    {
        var window = request.Window ?? request.Policy.Window;
        var id = state.StartRollout(request.Target.Lane, request.Target.Environment, request.Stable, request.Canary, request.Policy.Stages, window);
        Record(request, $"rollout #{id}", $"started: {request.Stable} → {request.Canary}, stages {string.Join(", ", request.Policy.Stages)}");
        return DriveAsync(id, request with { Window = window }, 0, ct);
    }

    /// <summary>Continues a paused, held or interrupted rollout from the stage it stood at, with the stages and window it started with.</summary>
    public Task<RolloutOutcome> ResumeAsync(RolloutRecord record, RolloutRequest request, CancellationToken ct)
    {
        Claim(record);
        Record(request, $"rollout #{record.Id}", $"resumed at {record.Stage}% (was {record.Shown})");
        return DriveAsync(record.Id, Recorded(record, request), record.StageIndex, ct);
    }

    /// <summary>Carries out a person's request on a rollout no live process drives (paused, held, interrupted).</summary>
    public Task<RolloutOutcome> ApplyAsync(RolloutRecord record, RolloutRequest request, RolloutControlRequest control, CancellationToken ct)
    {
        Claim(record);
        return ActAsync(record.Id, Recorded(record, request), record.StageIndex, control, [], ct);
    }

    private void Claim(RolloutRecord record)
    {
        if (!state.ClaimRollout(record.Id))
        {
            throw new InvalidOperationException($"rollout #{record.Id} is {record.Shown} and cannot be taken over");
        }
    }

    private static RolloutRequest Recorded(RolloutRecord record, RolloutRequest request) => request with
    {
        Stable = record.Stable,
        Canary = record.Canary,
        Policy = request.Policy with { Stages = record.Stages },
        Window = TimeSpan.FromMilliseconds(record.WindowMs),
    };

    private async Task<RolloutOutcome> DriveAsync(long id, RolloutRequest request, int from, CancellationToken ct)
    {
        var stages = new List<StageOutcome>();
        var stageList = request.Policy.Stages;
        var index = from;
        try
        {
            for (; index < stageList.Count; index++)
            {
                var percent = stageList[index];
                // Recorded before traffic moves: a crash from here on resumes this stage.
                state.UpdateRollout(id, RolloutStatus.Running, index, percent, null);
                await SetSplitAsync(request, percent, ct);
                Record(request, Stage(percent), "traffic set");
                reporter.Progress(new RolloutProgress(id, percent, index, stageList, request.Stable, request.Canary, null, null, null));
                if (state.TakeRolloutControl(id) is { } early)
                {
                    return await ActAsync(id, request, index, early, stages, ct);
                }

                if (percent is 0 or 100)
                {
                    stages.Add(new StageOutcome(percent, Verdict.Pass, percent == 0 ? "canary ready with no traffic" : "canary takes all traffic"));
                    reporter.Stage(percent, stages[^1].Explanation);
                    continue;
                }

                var (result, control) = await AnalyseStageAsync(id, request, index, ct);
                if (control is not null)
                {
                    return await ActAsync(id, request, index, control, stages, ct);
                }

                var explanation = result!.Verdict == Verdict.Pass ? string.Join("; ", result.Findings.Select(f => $"{f.Metric}: {f.Explanation}")) : result.Explain();
                stages.Add(new StageOutcome(percent, result.Verdict, explanation));
                Record(request, Stage(percent), $"{result.Verdict.ToString().ToLowerInvariant()}: {explanation}");
                reporter.Stage(percent, $"{result.Verdict.ToString().ToUpperInvariant()}: {explanation}");
                if (result.Verdict == Verdict.Inconclusive && request.Policy.OnInconclusive == InconclusiveAction.Hold)
                {
                    var held = $"stage {percent}% stayed inconclusive: {result.Explain()}; holding the split for a person";
                    state.UpdateRollout(id, RolloutStatus.Paused, index, percent, held);
                    Record(request, Stage(percent), $"paused: {held}");
                    return new RolloutOutcome(RolloutEnd.Paused, held, stages, null);
                }

                if (result.Verdict != Verdict.Pass)
                {
                    await platform.SetTrafficAsync(request.Target, [new TrafficAssignment(request.Stable, 100)], ct);
                    var reason = $"stage {percent}% {(result.Verdict == Verdict.Fail ? "failed" : "stayed inconclusive")}: {result.Explain()}; rolled back to {request.Stable}";
                    return Finish(id, request, index, RolloutEnd.Failed, reason, stages);
                }
            }

            return Finish(id, request, stageList.Count - 1, RolloutEnd.Succeeded, null, stages);
        }
        catch (Exception e) when (e is PlatformException or OperationCanceledException)
        {
            // Interrupted with traffic possibly split: held, so the gate's canary-status check blocks
            // promotion until a person resumes or aborts it.
            var at = Math.Min(index, stageList.Count - 1);
            state.UpdateRollout(id, RolloutStatus.Held, at, stageList[at], e.Message);
            throw;
        }
    }

    /// <summary>Waits the window (extending it while inconclusive) and analyses; or returns the request a person left meanwhile.</summary>
    private async Task<(AnalysisResult? Result, RolloutControlRequest? Control)> AnalyseStageAsync(long id, RolloutRequest request, int index, CancellationToken ct)
    {
        var percent = request.Policy.Stages[index];
        var window = request.Window ?? request.Policy.Window;
        var before = await platform.GetRevisionMetricsAsync(request.Target, ct);
        var extensions = 0;
        while (true)
        {
            reporter.Stage(percent, string.Create(CultureInfo.InvariantCulture, $"canary at {percent}%, analysing for {window.TotalSeconds:0.#} s"));
            var ends = time.GetUtcNow() + window;
            var polls = 0;
            while (time.GetUtcNow() < ends)
            {
                var left = ends - time.GetUtcNow();
                await Task.Delay(left < ControlPoll ? left : ControlPoll, time, ct);
                if (state.TakeRolloutControl(id) is { } control)
                {
                    return (null, control);
                }

                if (++polls % ProgressEvery != 0)
                {
                    continue;
                }

                var now = await platform.GetRevisionMetricsAsync(request.Target, ct);
                var (stableSoFar, canarySoFar) = (Delta(now, before, request.Stable), Delta(now, before, request.Canary));
                reporter.Progress(new RolloutProgress(id, percent, index, request.Policy.Stages, request.Stable, request.Canary,
                    stableSoFar, canarySoFar, ends - time.GetUtcNow()));
                // A canary that clearly errs is not given the rest of the window to hurt users.
                if (CanaryAnalysis.EarlyFailure(canarySoFar, stableSoFar, request.Policy.Gates) is { } early)
                {
                    return (early, null);
                }
            }

            var after = await platform.GetRevisionMetricsAsync(request.Target, ct);
            var result = CanaryAnalysis.Analyze(Delta(after, before, request.Canary), Delta(after, before, request.Stable), request.Policy.Gates);
            if (result.Verdict != Verdict.Inconclusive || extensions++ >= request.Policy.MaxExtensions)
            {
                return (result, null);
            }

            reporter.Stage(percent, $"inconclusive, extending the window ({result.Explain()})");
        }
    }

    /// <summary>Carries out pause, abort or promote at the stage the rollout stands at.</summary>
    private async Task<RolloutOutcome> ActAsync(long id, RolloutRequest request, int index, RolloutControlRequest control, List<StageOutcome> stages, CancellationToken ct)
    {
        var percent = request.Policy.Stages[Math.Min(index, request.Policy.Stages.Count - 1)];
        var why = control.Reason is null ? "" : $": {control.Reason}";
        switch (control.Control)
        {
            case RolloutControl.Pause:
                var paused = $"paused by {control.Actor} at {percent}%{why}";
                state.UpdateRollout(id, RolloutStatus.Paused, index, percent, paused);
                Record(request, Stage(percent), paused);
                reporter.Stage(percent, paused);
                return new RolloutOutcome(RolloutEnd.Paused, paused, stages, null);
            case RolloutControl.Abort:
                await platform.SetTrafficAsync(request.Target, [new TrafficAssignment(request.Stable, 100)], ct);
                return Finish(id, request, index, RolloutEnd.Aborted, $"aborted by {control.Actor} at {percent}%{why}; all traffic back on {request.Stable}", stages);
            case RolloutControl.Promote:
                await platform.SetTrafficAsync(request.Target, [new TrafficAssignment(request.Canary, 100)], ct);
                var skipped = request.Policy.Stages.Skip(index + 1).Where(s => s != 100).ToList();
                var note = skipped.Count == 0 ? "" : $", skipping {string.Join(", ", skipped.Select(s => $"{s}%"))}";
                return Finish(id, request, request.Policy.Stages.Count - 1, RolloutEnd.Succeeded, $"promoted by {control.Actor} at {percent}%{note}{why}", stages);
            default:
                throw new InvalidOperationException($"unknown rollout control '{control.Control}'");
        }
    }

    private RolloutOutcome Finish(long id, RolloutRequest request, int index, RolloutEnd end, string? reason, List<StageOutcome> stages)
    {
        var percent = request.Policy.Stages[index];
        var status = end switch
        {
            RolloutEnd.Succeeded => RolloutStatus.Succeeded,
            RolloutEnd.Aborted => RolloutStatus.Aborted,
            _ => RolloutStatus.Failed,
        };
        state.UpdateRollout(id, status, index, percent, reason);
        var facts = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["rollout_id"] = id.ToString(CultureInfo.InvariantCulture),
            ["stable_revision"] = request.Stable,
            ["canary_revision"] = request.Canary,
            ["rollout_status"] = status,
            ["stopped_at_stage"] = percent.ToString(CultureInfo.InvariantCulture),
        };
        if (end != RolloutEnd.Succeeded)
        {
            facts["rollback_to"] = request.Stable;
        }
        else if (reason is not null)
        {
            facts["rollout_reason"] = reason;
        }

        var now = time.GetUtcNow();
        var steps = stages.Select((s, i) => new StepOutcome(i + 1, "rollout-stage", Stage(s.Percent), s.Verdict == Verdict.Pass, s.Explanation, now, now)).ToList();
        var receipt = receipts.Write(request.Target, "rollout", request.Tag, steps, facts, end == RolloutEnd.Succeeded ? null : reason);
        var detail = end == RolloutEnd.Succeeded ? $"succeeded{(reason is null ? "" : $" ({reason})")}" : $"{status}: {reason}";
        state.Journal(actor, request.Target.Lane, request.Target.Environment, "rollout", $"rollout #{id}", status, detail);
        new AuditLog(state).Append(actor, "rollout", request.Target.Lane, request.Target.Environment,
            new Dictionary<string, string?> { ["rollout"] = id.ToString(CultureInfo.InvariantCulture), ["stable"] = request.Stable, ["canary"] = request.Canary }, detail, receipt);
        return new RolloutOutcome(end, reason, stages, receipt);
    }

    private Task SetSplitAsync(RolloutRequest request, int percent, CancellationToken ct) =>
        platform.SetTrafficAsync(request.Target, percent switch
        {
            0 => [new TrafficAssignment(request.Stable, 100)],
            100 => [new TrafficAssignment(request.Canary, 100)],
            _ => [new TrafficAssignment(request.Stable, 100 - percent), new TrafficAssignment(request.Canary, percent)],
        }, ct);

    private static string Stage(int percent) => string.Create(CultureInfo.InvariantCulture, $"stage {percent}%");

    /// <summary>What a revision handled between two reads of its cumulative counters.</summary>
    private static RevisionSample Delta(IReadOnlyDictionary<string, RevisionSample> after, IReadOnlyDictionary<string, RevisionSample> before, string revision)
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

    private void Record(RolloutRequest request, string step, string detail)
    {
        state.Journal(actor, request.Target.Lane, request.Target.Environment, "rollout", step, "recorded", detail);
        new AuditLog(state).Append(actor, "rollout-stage", request.Target.Lane, request.Target.Environment,
            new Dictionary<string, string?> { ["stage"] = step, ["stable"] = request.Stable, ["canary"] = request.Canary }, detail, null);
    }
}
