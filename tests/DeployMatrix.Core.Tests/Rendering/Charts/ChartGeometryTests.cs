using DeployMatrix.Core.Rendering.Charts;

namespace DeployMatrix.Core.Tests.Rendering.Charts;

public sealed class ChartGeometryTests
{
    private static readonly Scale X = new(0, 100, 0, 1000);
    private static readonly Scale Y = new(0, 100, 200, 0);

    [Fact]
    public void ATrafficSplit_HoldsHorizontallyUntilTheNextChange_ThenStepsStraight()
    {
        TimedValue[] canary = [new(S(0), 0), new(S(10), 5), new(S(40), 50), new(S(70), 0)];

        var points = ChartGeometry.StepPoints(canary, S(100), X, Y);

        Assert.Equal(
            [(0, 200), (100, 200), (100, 190), (400, 190), (400, 100), (700, 100), (700, 200), (1000, 200)],
            points.Select(p => (Math.Round(p.X), Math.Round(p.Y))));
    }

    [Fact]
    public void StepPoints_AreSortedByTime_AndAnUnchangedSplitAddsNoCorner()
    {
        TimedValue[] stable = [new(S(50), 50), new(S(0), 100), new(S(20), 100)];

        var points = ChartGeometry.StepPoints(stable, S(100), X, Y, offset: -1);

        Assert.Equal([(0, -1), (500, -1), (500, 99), (1000, 99)], points.Select(p => (Math.Round(p.X), Math.Round(p.Y))));
    }

    [Fact]
    public void EverySegmentOfAStepLine_IsHorizontalOrVertical()
    {
        var values = Enumerable.Range(0, 30).Select(i => new TimedValue(S(i * 3.3), (i * 37) % 101)).ToList();

        var points = ChartGeometry.StepPoints(values, S(100), X, Y);

        Assert.All(points.Zip(points.Skip(1)), s => Assert.True(s.First.X == s.Second.X || s.First.Y == s.Second.Y, $"slanted segment {s}"));
    }

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);
}
