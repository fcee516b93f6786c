namespace DeployMatrix.Core.Rendering.Charts;

/// <summary>
/// What a timeline chart shows: per revision its share of traffic, error rate and p95 latency over time, and
/// the stages a change went through. Times are offsets from <see cref="Start"/>. Rendered by
/// <see cref="TimelineChartSvg.Render"/> as panels stacked over one time axis: traffic, error rate, p95 latency.
/// </summary>
public sealed record TimelineChart
{
    /// <summary>The chart's title, also its accessible name (untrusted text is fine: it is escaped).</summary>
    public required string Title { get; init; }

    /// <summary>The revisions, in legend order; each gets its own colour by position (stable first reads best).</summary>
    public IReadOnlyList<RevisionSeries> Revisions { get; init; } = [];

    /// <summary>Stage boundaries, drawn as vertical lines through every panel with a label each.</summary>
    public IReadOnlyList<StageMarker> Stages { get; init; } = [];

    /// <summary>When time zero was; needed for <see cref="TimeLabels.Clock"/> labels.</summary>
    public DateTimeOffset? Start { get; init; }

    /// <summary>Where the time axis ends; null: at the latest point or stage. A traffic split holds until here.</summary>
    public TimeSpan? End { get; init; }

    /// <value>The default is <see cref="TimeLabels.Relative"/> (+0s, +30s, +1m…).</value>
    public TimeLabels Labels { get; init; } = TimeLabels.Relative;
}

/// <summary>One revision's series. Points need not be sorted; times before zero are clipped to it.</summary>
/// <param name="Name">The revision's name as the platform gives it (untrusted: escaped when written).</param>
public sealed record RevisionSeries(string Name)
{
    /// <summary>What the revision is in this change ("stable", "canary"), shown before its name in the legend.</summary>
    public string? Role { get; init; }

    /// <summary>Its traffic share (0..100 %) from each change on: a split holds until the next point (a step line).</summary>
    public IReadOnlyList<TimedValue> TrafficPercent { get; init; } = [];

    /// <summary>Measured failure rate (0..100 %) of the requests it served, one point per measurement.</summary>
    public IReadOnlyList<TimedValue> ErrorRatePercent { get; init; } = [];

    /// <summary>Measured 95th-percentile latency in milliseconds, one point per measurement.</summary>
    public IReadOnlyList<TimedValue> P95Ms { get; init; } = [];
}

/// <summary>A value at an offset from the chart's start.</summary>
public readonly record struct TimedValue(TimeSpan At, double Value);

/// <summary>
/// A stage boundary: from <see cref="At"/> on, the canary had <see cref="WeightPercent"/> of the traffic, and the
/// stage ended with <see cref="Verdict"/>. Labelled "<c>Name WEIGHT% VERDICT — detail</c>" (the parts present).
/// </summary>
/// <param name="Verdict">The verdict as people read it ("PASS", "FAIL", "INCONCLUSIVE").</param>
/// <param name="Kind">How the verdict is coloured.</param>
public sealed record StageMarker(TimeSpan At, string Verdict, VerdictKind Kind)
{
    /// <summary>The weight the stage set (0..100 %); null for a stage that is not a split (a rollback).</summary>
    public int? WeightPercent { get; init; }

    /// <summary>A name shown before the weight ("rollback"); null for a plain stage.</summary>
    public string? Name { get; init; }

    /// <summary>Why (a failed stage's reason): shortened in the label, whole in its tooltip.</summary>
    public string? Detail { get; init; }
}

public enum VerdictKind
{
    Neutral,
    Pass,
    Inconclusive,
    Fail,
}

/// <summary>How the time axis is labelled.</summary>
public enum TimeLabels
{
    /// <summary>Offsets from the start: +0s, +30s, +1m, +1m30s, +1h.</summary>
    Relative,

    /// <summary>UTC wall-clock times (HH:mm:ss, or HH:mm when every tick is on a minute); needs <see cref="TimelineChart.Start"/>.</summary>
    Clock,
}
