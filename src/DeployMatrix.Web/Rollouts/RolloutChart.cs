using DeployMatrix.Core.Rendering.Charts;
using DeployMatrix.Engine.Rollout;

namespace DeployMatrix.Web.Rollouts;

/// <summary>
/// The rollout page's chart (<c>/rollouts/LANE/ENV/chart.svg</c>): the series the dashboard sampled (one point a
/// second while watched) as the shared timeline chart (<see cref="TimelineChartSvg"/>): traffic per revision as
/// steps, 5xx rate and p95 latency per revision, and a marker where each stage was first seen, labelled with its
/// weight and verdict. The one place the page meets the chart code.
/// </summary>
internal static class RolloutChart
{
    /// <summary>An SVG document (UTF-8 text) of <paramref name="points"/>, the rollout's samples oldest first.</summary>
    public static string Render(RolloutFigures rollout, IReadOnlyList<SeriesPoint> points)
    {
        var start = points.Count > 0 ? points[0].At : (DateTimeOffset?)null;
        TimeSpan At(SeriesPoint p) => p.At - start!.Value;
        var names = new[] { rollout.Stable, rollout.Canary }
            .Concat(points.SelectMany(p => p.Revisions.Select(r => r.Revision))).Distinct(StringComparer.Ordinal);
        var revisions = names.Select(name =>
        {
            var samples = points.Select(p => (Point: p, Revision: p.Revisions.FirstOrDefault(r => r.Revision == name))).Where(s => s.Revision is not null).ToList();
            var measured = samples.Where(s => s.Revision!.Requests > 0).ToList();
            return new RevisionSeries(name)
            {
                Role = name == rollout.Canary ? "canary" : name == rollout.Stable ? "stable" : null,
                TrafficPercent = [.. samples.Select(s => new TimedValue(At(s.Point), s.Revision!.Percent))],
                ErrorRatePercent = [.. measured.Select(s => new TimedValue(At(s.Point), s.Revision!.ErrorRatePercent))],
                P95Ms = [.. measured.Select(s => new TimedValue(At(s.Point), s.Revision!.P95Ms))],
            };
        }).ToList();
        var stages = points.Where((p, i) => i == 0 || points[i - 1].Stage != p.Stage).Select(p =>
        {
            var (verdict, kind) = VerdictAt(rollout, p.Stage);
            return new StageMarker(At(p), verdict, kind) { WeightPercent = p.Stage };
        }).ToList();
        return TimelineChartSvg.Render(new TimelineChart
        {
            Title = $"rollout #{rollout.Id} of {rollout.Lane} in {rollout.Env}: {rollout.State} at {rollout.Stage}%",
            Revisions = revisions,
            Stages = stages,
            Start = start,
            Labels = TimeLabels.Clock,
        });
    }

    /// <summary>The stage's verdict as the audit log recorded it (its last pass, fail or inconclusive), or none yet.</summary>
    private static (string Verdict, VerdictKind Kind) VerdictAt(RolloutFigures rollout, int stage) =>
        rollout.Verdicts.LastOrDefault(v => v.Percent == stage && v.Verdict is "pass" or "fail" or "inconclusive")?.Verdict switch
        {
            "pass" => ("PASS", VerdictKind.Pass),
            "fail" => ("FAIL", VerdictKind.Fail),
            "inconclusive" => ("INCONCLUSIVE", VerdictKind.Inconclusive),
            _ => ("", VerdictKind.Neutral),
        };
}
