using System.Globalization;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.Web.Matrix;

namespace DeployMatrix.Web.Rollouts;

/// <summary>
/// A rollout page's figures: what the page renders and what its event stream pushes every second (as JSON,
/// snake_case) for the page's script to put in place. No secret is in it: revisions, weights, counters and the
/// audit log's words.
/// </summary>
/// <param name="Region">The region where the lane runs in several in the environment; null otherwise.</param>
/// <param name="State">running, paused, held, interrupted, succeeded, failed or aborted.</param>
/// <param name="Stage">The canary's weight at the stage it stands at (0..100 %).</param>
/// <param name="WindowSeconds">The analysis window per stage (seconds).</param>
/// <param name="SecondsLeft">Seconds left in the running stage's window (0 once over: being judged or extended); null when no window runs.</param>
/// <param name="DrivenHere">This dashboard's process drives it (resumed from the page): stopping the dashboard holds it.</param>
/// <param name="Finished">Ended for good (succeeded, failed, aborted): no action applies.</param>
/// <param name="Actions">What a person can do now (pause, resume, abort, promote; <see cref="RolloutControlOperation.Actions"/>).</param>
public sealed record RolloutFigures(
    long Id, string Lane, string Env, string? Region, string State, int Stage, int StageIndex, IReadOnlyList<int> Stages,
    string Stable, string Canary, string StartedAt, string UpdatedAt, double WindowSeconds, double? SecondsLeft, string? Reason, string? Next,
    bool DrivenHere, bool Finished, IReadOnlyList<string> Actions, IReadOnlyList<SplitFigure> Split, IReadOnlyList<RevisionFigures> Revisions, IReadOnlyList<RolloutStageRecord> Verdicts,
    string? MetricsError, string ReadAt)
{
    /// <summary>The page's path: <c>/rollouts/LANE/ENV</c>, with <c>?region=R</c> for one of several regions.</summary>
    public string Path => PathOf(Lane, Env, Region);

    public static string PathOf(string lane, string env, string? region) =>
        $"/rollouts/{Uri.EscapeDataString(lane)}/{Uri.EscapeDataString(env)}{(region is null ? "" : $"?region={Uri.EscapeDataString(region)}")}";

    /// <summary>A path under the page's (events, chart.svg, an action), keeping its region.</summary>
    public string Under(string what) =>
        $"/rollouts/{Uri.EscapeDataString(Lane)}/{Uri.EscapeDataString(Env)}/{what}{(Region is null ? "" : $"?region={Uri.EscapeDataString(Region)}")}";

    public static RolloutFigures From(RolloutWatchView view, RolloutSeries series)
    {
        var r = view.Rollout;
        var revisions = new[] { r.Stable, r.Canary }.Concat(view.Traffic.Select(t => t.Revision)).Distinct(StringComparer.Ordinal).Select(name =>
        {
            var stage = series.StageSoFar(name);
            view.Metrics.TryGetValue(name, out var total);
            return new RevisionFigures(name, name == r.Canary ? "canary" : name == r.Stable ? "stable" : "other",
                view.Traffic.FirstOrDefault(t => t.Revision == name)?.Percent ?? 0, total?.Requests ?? 0, stage.Requests, stage.Failed,
                Round(stage.FailureRate * 100), stage.PercentileMs(50), stage.PercentileMs(95), stage.PercentileMs(99));
        }).ToList();
        var left = view.WindowEnds is { } ends ? Math.Max(0, Math.Round((ends - view.ReadAt).TotalSeconds, 1)) : (double?)null;
        return new RolloutFigures(r.Id, r.Lane, view.Target.Environment, view.Target.Regional ? view.Target.Region : null, r.Shown, r.Stage, r.StageIndex, r.Stages,
            r.Stable, r.Canary, MatrixQuery.When(r.Row.StartedAt), MatrixQuery.When(r.Row.UpdatedAt), r.Window.TotalSeconds, left, r.Reason, view.Next,
            r.OwnedHere && r.State == RolloutState.Running, r.Finished, RolloutControlOperation.Actions(r),
            [.. view.Traffic.Select(t => new SplitFigure(t.Revision, t.Percent, t.Tag))], revisions,
            [.. view.Records.Select(v => v with { At = MatrixQuery.When(v.At) })], view.MetricsError,
            view.ReadAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture));
    }

    private static double Round(double value) => Math.Round(value, 3);
}

/// <summary>One revision's share of traffic now (0..100 %), with its traffic tag if it has one.</summary>
public sealed record SplitFigure(string Revision, int Percent, string? Tag);

/// <summary>
/// One revision's figures: <see cref="TotalRequests"/> as the platform counts them since the revision started;
/// the rest over the current stage as far as the dashboard saw it (from when the page began watching the stage).
/// </summary>
/// <param name="Role">stable, canary, or other (a revision the split names besides the two).</param>
/// <param name="Percent">Its share of traffic now (0..100 %).</param>
/// <param name="ErrorRatePercent">5xx answers over requests in the stage (0..100 %).</param>
/// <param name="P50Ms">Latency percentiles in the stage (ms, the upper bound of the histogram bucket holding them; 0 without requests).</param>
public sealed record RevisionFigures(string Revision, string Role, int Percent, long TotalRequests, long Requests, long Failed, double ErrorRatePercent,
    double P50Ms, double P95Ms, double P99Ms);
