using System.Globalization;
using DeployMatrix.Core;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Audit;
using DeployMatrix.Engine.Platform;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Rollout;

/// <summary>What to roll out: a canary revision against the stable one, by a lane's policy.</summary>
public sealed record RolloutRequest(TargetRef Target, string Stable, string Canary, RolloutPolicy Policy)
{
    /// <value>The default is the policy's window; tests and drills pass seconds.</value>
    public TimeSpan? Window { get; init; }

    /// <value>The default is two extensions of an inconclusive window before the stage fails.</value>
    public int MaxExtensions { get; init; } = 2;
}

public sealed record StageOutcome(int Percent, Verdict Verdict, string Explanation);

/// <summary>How a rollout ended: at 100% (succeeded) or rolled back to stable (failed, with the reason).</summary>
public sealed record RolloutOutcome(bool Succeeded, string? Reason, IReadOnlyList<StageOutcome> Stages)
{
    public int ExitCode => Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
}

public interface IRolloutReporter
{
    void Stage(int percent, string message);
}

/// <summary>
/// Walks the canary through the policy's stages: set the split, wait the window, compare canary with
/// stable on what the proxy measured in that window, then advance — or send everything back to
/// stable at once. An inconclusive window is extended (bounded) and then fails; it never passes.
/// </summary>
public sealed class RolloutRunner(IPlatform platform, StateStore state, TimeProvider time, IRolloutReporter reporter, string actor)
{
    public async Task<RolloutOutcome> RunAsync(RolloutRequest request, CancellationToken ct)
    {
        var id = state.StartRollout(request.Target.Lane, request.Target.Environment, request.Stable, request.Canary);
        try
        {
            var outcome = await WalkAsync(request, id, ct);
            state.UpdateRollout(id, outcome.Succeeded ? RolloutStatus.Succeeded : RolloutStatus.Failed, outcome.Stages.Count == 0 ? 0 : outcome.Stages[^1].Percent, outcome.Reason);
            return outcome;
        }
        catch (Exception e) when (e is PlatformException or OperationCanceledException)
        {
            // Interrupted with traffic possibly split: recorded as held so the gate's canary-status check blocks promotion.
            state.UpdateRollout(id, RolloutStatus.Held, state.LatestRollout(request.Target.Lane, request.Target.Environment)?.Stage ?? 0, e.Message);
            throw;
        }
    }

    private async Task<RolloutOutcome> WalkAsync(RolloutRequest request, long id, CancellationToken ct)
    {
        var stages = new List<StageOutcome>();
        var window = request.Window ?? request.Policy.Window;
        foreach (var percent in request.Policy.Stages)
        {
            await SetSplitAsync(request, percent, ct);
            state.UpdateRollout(id, RolloutStatus.Running, percent, null);
            Record(request, percent, "traffic set");
            if (percent is 0 or 100)
            {
                stages.Add(new StageOutcome(percent, Verdict.Pass, percent == 0 ? "canary ready with no traffic" : "canary takes all traffic"));
                reporter.Stage(percent, stages[^1].Explanation);
                continue;
            }

            var before = await platform.GetRevisionMetricsAsync(request.Target, ct);
            AnalysisResult result;
            var extensions = 0;
            while (true)
            {
                reporter.Stage(percent, string.Create(CultureInfo.InvariantCulture, $"canary at {percent}%, analysing for {window.TotalSeconds:0.#} s"));
                await Task.Delay(window, time, ct);
                var after = await platform.GetRevisionMetricsAsync(request.Target, ct);
                result = CanaryAnalysis.Analyze(Delta(after, before, request.Canary), Delta(after, before, request.Stable), request.Policy.Gates);
                if (result.Verdict != Verdict.Inconclusive || extensions++ >= request.MaxExtensions)
                {
                    break;
                }

                reporter.Stage(percent, $"inconclusive, extending the window ({result.Explain()})");
            }

            var explanation = result.Verdict == Verdict.Pass ? string.Join("; ", result.Findings.Select(f => $"{f.Metric}: {f.Explanation}")) : result.Explain();
            stages.Add(new StageOutcome(percent, result.Verdict, explanation));
            Record(request, percent, $"{result.Verdict.ToString().ToLowerInvariant()}: {explanation}");
            reporter.Stage(percent, $"{result.Verdict.ToString().ToUpperInvariant()}: {explanation}");
            if (result.Verdict != Verdict.Pass)
            {
                await platform.SetTrafficAsync(request.Target, [new TrafficAssignment(request.Stable, 100)], ct);
                var reason = $"stage {percent}% {(result.Verdict == Verdict.Fail ? "failed" : "stayed inconclusive")}: {result.Explain()}; rolled back to {request.Stable}";
                Record(request, percent, $"rolled back: {reason}");
                return new RolloutOutcome(false, reason, stages);
            }
        }

        return new RolloutOutcome(true, null, stages);
    }

    private Task SetSplitAsync(RolloutRequest request, int percent, CancellationToken ct) =>
        platform.SetTrafficAsync(request.Target, percent switch
        {
            0 => [new TrafficAssignment(request.Stable, 100)],
            100 => [new TrafficAssignment(request.Canary, 100)],
            _ => [new TrafficAssignment(request.Stable, 100 - percent), new TrafficAssignment(request.Canary, percent)],
        }, ct);

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

    private void Record(RolloutRequest request, int percent, string detail)
    {
        var stage = string.Create(CultureInfo.InvariantCulture, $"stage {percent}%");
        state.Journal(actor, request.Target.Lane, request.Target.Environment, "rollout", stage, "recorded", detail);
        new AuditLog(state).Append(actor, "rollout-stage", request.Target.Lane, request.Target.Environment,
            new Dictionary<string, string?> { ["stage"] = stage, ["stable"] = request.Stable, ["canary"] = request.Canary }, detail, null);
    }
}
