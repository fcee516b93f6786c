using DeployMatrix.Core.Rendering.Charts;

namespace DeployMatrix.Core.Tests.Rendering.Charts;

public sealed class ChartTicksTests
{
    [Theory]
    [InlineData(0.8, 10, 0.1)]
    [InlineData(9, 10, 1)]
    [InlineData(20, 6, 5)]
    [InlineData(28, 6, 10)]
    [InlineData(75, 6, 15)]
    [InlineData(140, 6, 30)]
    [InlineData(290, 6, 60)]
    [InlineData(500, 6, 120)]
    [InlineData(1400, 6, 300)]
    [InlineData(3500, 6, 900)]
    [InlineData(7000, 6, 1800)]
    [InlineData(5 * 3600, 6, 3600)]
    public void TimeStep_IsTheSmallestRoundStepThatFits(double spanSeconds, int maxTicks, double expectedSeconds)
    {
        var step = ChartTicks.TimeStep(TimeSpan.FromSeconds(spanSeconds), maxTicks);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), step);
        Assert.True(ChartTicks.TimeTicks(TimeSpan.FromSeconds(spanSeconds), step).Count <= maxTicks);
    }

    [Fact]
    public void TimeTicks_StartAtZero_AndStopAtTheSpansEnd()
    {
        var ticks = ChartTicks.TimeTicks(TimeSpan.FromSeconds(95), TimeSpan.FromSeconds(30));

        Assert.Equal([0, 30, 60, 90], ticks.Select(t => t.TotalSeconds));
    }

    [Theory]
    [InlineData(0, "+0s")]
    [InlineData(0.5, "+0.5s")]
    [InlineData(30, "+30s")]
    [InlineData(60, "+1m")]
    [InlineData(90, "+1m30s")]
    [InlineData(3600, "+1h")]
    [InlineData(4500, "+1h15m")]
    public void RelativeLabels_ReadAsOffsets(double seconds, string expected)
    {
        Assert.Equal(expected, ChartTicks.Relative(TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void ClockLabels_AreUtc_WithSecondsOnlyWhenTheStepNeedsThem()
    {
        var start = new DateTimeOffset(2026, 12, 1, 18, 59, 30, TimeSpan.FromHours(2));

        Assert.Equal("17:00:00", ChartTicks.Clock(start, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)));
        Assert.Equal("17:00", ChartTicks.Clock(start, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1)));
    }

    [Theory]
    [InlineData(0, new[] { 0.0, 1 })]
    [InlineData(0.3, new[] { 0.0, 0.1, 0.2, 0.3 })]
    [InlineData(2.3, new[] { 0.0, 1, 2, 3 })]
    [InlineData(7, new[] { 0.0, 5, 10 })]
    [InlineData(120, new[] { 0.0, 50, 100, 150 })]
    [InlineData(1000, new[] { 0.0, 500, 1000 })]
    public void ValueTicks_AreRoundSteps_FromZeroToAtLeastTheMax(double max, double[] expected)
    {
        Assert.Equal(expected, ChartTicks.ValueTicks(max, 4));
    }

    [Theory]
    [InlineData(0.2, 0.1, "0.2")]
    [InlineData(50, 50, "50")]
    [InlineData(1.5, 0.5, "1.5")]
    public void ValueLabels_HaveTheDecimalsTheirStepNeeds(double value, double step, string expected)
    {
        Assert.Equal(expected, ChartTicks.Value(value, step));
    }
}
