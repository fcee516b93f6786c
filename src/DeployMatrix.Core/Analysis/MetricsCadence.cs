using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Analysis;

/// <summary>
/// How a platform's request metrics can be read: live counters at any instant (the local proxy), or
/// whole sampling periods that become visible some time after they end (Cloud Monitoring). A stage is
/// judged only on what the cadence can vouch for: the whole periods that began after its split was set
/// and ended inside its window, read once they are visible.
/// </summary>
/// <param name="Period">The sampling period; zero for live counters.</param>
/// <param name="Delay">How long after a period ends its figures may still be incomplete; zero for live counters.</param>
public sealed record MetricsCadence(TimeSpan Period, TimeSpan Delay)
{
    /// <summary>Counters read as they stand (the local platform's proxy): any instant, at once.</summary>
    public static readonly MetricsCadence Live = new(TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>
    /// Cloud Run's request metrics in Cloud Monitoring (<c>run.googleapis.com/request_count</c>,
    /// <c>request_latencies</c>): "Sampled every 60 seconds. After sampling, data is not visible for up to
    /// 180 seconds" (Google Cloud metrics list, cloud.google.com/monitoring/api/metrics_gcp, and
    /// cloud.google.com/monitoring/api/v3/latency-n-retention).
    /// </summary>
    public static readonly MetricsCadence CloudMonitoring = new(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(180));

    /// <summary>The cadence of a platform's request metrics.</summary>
    public static MetricsCadence Of(PlatformKind platform) => platform == PlatformKind.CloudRun ? CloudMonitoring : Live;

    public bool IsLive => Period <= TimeSpan.Zero;

    /// <summary>
    /// The shortest analysis window a stage may have on this cadence: three periods, so a stage holds at
    /// least two whole periods however its split falls against the period boundaries (zero when live).
    /// </summary>
    public TimeSpan MinimumWindow => IsLive ? TimeSpan.Zero : Period * 3;

    /// <summary>The first period boundary at or after <paramref name="instant"/> (live: the instant itself).</summary>
    public DateTimeOffset PeriodStartFrom(DateTimeOffset instant)
    {
        var floor = PeriodEndBefore(instant);
        return floor == instant ? instant : floor + Period;
    }

    /// <summary>The last period boundary at or before <paramref name="instant"/> (live: the instant itself).</summary>
    public DateTimeOffset PeriodEndBefore(DateTimeOffset instant) =>
        IsLive ? instant : new DateTimeOffset(instant.UtcTicks - (instant.UtcTicks % Period.Ticks), TimeSpan.Zero);

    /// <summary>The end of the last whole period whose figures are complete at <paramref name="now"/> (live: now).</summary>
    public DateTimeOffset VisibleUntil(DateTimeOffset now) => PeriodEndBefore(now - Delay);

    /// <summary>Why a stage window is too short for this cadence, or null when it is long enough.</summary>
    /// <param name="platform">How the platform is named to people ("Cloud Run").</param>
    public string? CheckWindow(TimeSpan window, string platform) => window >= MinimumWindow
        ? null
        : $"an analysis window of {Durations.Format(window)} is shorter than {Durations.Format(MinimumWindow)}, the least {platform} allows: "
          + $"its request metrics come in {Durations.Format(Period)} periods, visible up to {Durations.Format(Delay)} later, "
          + "and a stage is judged only on whole periods inside its window (at least two)";
}
