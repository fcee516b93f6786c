using System.Globalization;
using DeployMatrix.Core.Rendering.Charts;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Engine.Drill;

/// <summary>
/// A drill's timeline.svg: the stable and canary revisions' traffic (a split holds until the next step), error
/// rate and p95 latency over the drill, with each traffic step and the rollback marked by its weight and verdict.
/// </summary>
internal static class TimelineSvg
{
    public static string Render(TargetRef target, DrillResult result) => TimelineChartSvg.Render(Chart(target, result));

    /// <summary>The chart of a drill: times are seconds from the drill's start; a dry run has nothing to draw but its title says why.</summary>
    public static TimelineChart Chart(TargetRef target, DrillResult result)
    {
        var revisions = result.Stable == result.Canary ? [("stable", result.Stable)] : new[] { ("stable", result.Stable), ("canary", result.Canary) };
        var stages = new List<StageMarker>();
        foreach (var sample in result.Samples.Where(s => s.Percent is not null))
        {
            var step = result.Steps.First(s => s.StepId == sample.StepId);
            var passed = step.Status == "pass";
            stages.Add(new StageMarker(Seconds(sample.StartSeconds), passed ? "PASS" : "FAIL", passed ? VerdictKind.Pass : VerdictKind.Fail)
            {
                WeightPercent = sample.Percent == 0 ? null : sample.Percent,
                Name = sample.Percent == 0 ? "rollback" : null,
                Detail = passed ? null : step.Reason,
            });
        }

        return new TimelineChart
        {
            Title = $"Canary drill of {target.Service} ({target.Environment}){(result.DryRun ? " — dry run, nothing measured" : "")}",
            Revisions = [.. revisions.Select(r => new RevisionSeries(r.Item2)
            {
                Role = r.Item1,
                // The split read at a step's end stands from the step's start: the step set it first.
                TrafficPercent = [.. result.Samples.Select(s => new TimedValue(Seconds(s.StartSeconds), s.Traffic.GetValueOrDefault(r.Item2)))],
                ErrorRatePercent = [.. result.Measurements.Where(m => m.Revision == r.Item2).Select(m => new TimedValue(Seconds(m.Seconds), m.ErrorRatePercent))],
                P95Ms = [.. result.Measurements.Where(m => m.Revision == r.Item2).Select(m => new TimedValue(Seconds(m.Seconds), m.P95Ms))],
            })],
            Stages = stages,
            Start = result.Steps.Count > 0 && DateTimeOffset.TryParse(result.Steps[0].StartedAt, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var start) ? start : null,
            End = result.Samples.Count > 0 ? Seconds(result.Samples[^1].EndSeconds) : null,
        };
    }

    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(seconds);
}
