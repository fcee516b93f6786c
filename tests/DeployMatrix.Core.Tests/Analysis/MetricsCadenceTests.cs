using System.Globalization;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Tests.Analysis;

/// <summary>Which periods a stage can be judged on: Cloud Monitoring's 60 s samples, visible 180 s late; the proxy's live counters.</summary>
public sealed class MetricsCadenceTests
{
    private static readonly MetricsCadence Monitoring = MetricsCadence.CloudMonitoring;

    [Theory]
    [InlineData("12:00:00", "12:00:00", "12:00:00")]
    [InlineData("12:00:00.001", "12:01:00", "12:00:00")]
    [InlineData("12:00:59.999", "12:01:00", "12:00:00")]
    public void Boundaries_AreWholeMinutes_StartingAfterAndEndingBefore(string at, string start, string end)
    {
        Assert.Equal(At(start), Monitoring.PeriodStartFrom(At(at)));
        Assert.Equal(At(end), Monitoring.PeriodEndBefore(At(at)));
    }

    [Fact]
    public void APeriodIsVisible_OnlyItsDelayAfterItEnds()
    {
        Assert.Equal(At("11:57:00"), Monitoring.VisibleUntil(At("12:00:59")));
        Assert.Equal(At("11:58:00"), Monitoring.VisibleUntil(At("12:01:00")));
    }

    [Fact]
    public void LiveCounters_AreReadAtAnyInstant_AndAnyWindowWillDo()
    {
        var at = At("12:00:00.123");

        Assert.Equal((at, at, at), (MetricsCadence.Live.PeriodStartFrom(at), MetricsCadence.Live.PeriodEndBefore(at), MetricsCadence.Live.VisibleUntil(at)));
        Assert.Null(MetricsCadence.Live.CheckWindow(TimeSpan.FromSeconds(1), "the local platform"));
        Assert.Same(MetricsCadence.Live, MetricsCadence.Of(PlatformKind.Local));
    }

    [Theory]
    [InlineData(179, false)]
    [InlineData(180, true)]
    public void CloudRunWindows_HoldAtLeastTwoWholePeriods_WhereverTheSplitFalls(int seconds, bool allowed)
    {
        var window = TimeSpan.FromSeconds(seconds);

        Assert.Equal(allowed, Monitoring.CheckWindow(window, "Cloud Run") is null);
        if (allowed)
        {
            // The worst case: the split lands just after a boundary.
            var split = At("12:00:00.001");
            Assert.True(Monitoring.PeriodEndBefore(split + window) - Monitoring.PeriodStartFrom(split) >= TimeSpan.FromMinutes(2));
        }
    }

    private static DateTimeOffset At(string time) => DateTimeOffset.Parse($"2026-11-30T{time}Z", CultureInfo.InvariantCulture);
}
