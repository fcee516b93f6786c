using DeployMatrix.Local.Proxy;

namespace DeployMatrix.Local.Tests.Proxy;

public sealed class TrafficWheelTests
{
    [Theory]
    [InlineData(95, 5)]
    [InlineData(75, 25)]
    [InlineData(50, 50)]
    [InlineData(1, 99)]
    public void Wheel_GivesEachRevisionExactlyItsPercentOfEveryHundredRequests(int stable, int canary)
    {
        var a = new RevisionEndpoint("a", 1);
        var b = new RevisionEndpoint("b", 2);
        var wheel = TrafficWheel.Build([(a, stable), (b, canary)]);

        var picks = Enumerable.Range(0, 1000).Select(_ => wheel.Next()!.Revision).ToList();

        Assert.Equal(stable * 10, picks.Count(p => p == "a"));
        Assert.Equal(canary * 10, picks.Count(p => p == "b"));
    }

    [Fact]
    public void Wheel_SpreadsASmallCanaryEvenly()
    {
        var wheel = TrafficWheel.Build([(new RevisionEndpoint("stable", 1), 95), (new RevisionEndpoint("canary", 2), 5)]);

        var picks = Enumerable.Range(0, 200).Select(_ => wheel.Next()!.Revision).ToList();
        var positions = picks.Select((p, i) => (p, i)).Where(x => x.p == "canary").Select(x => x.i).ToList();

        Assert.Equal(10, positions.Count);
        Assert.All(positions.Zip(positions.Skip(1)), pair => Assert.Equal(20, pair.Second - pair.First));
    }

    [Fact]
    public void Wheel_RejectsPercentsThatDoNotSumTo100()
    {
        Assert.Throws<ArgumentException>(() => TrafficWheel.Build([(new RevisionEndpoint("a", 1), 60), (new RevisionEndpoint("b", 2), 30)]));
    }

    [Fact]
    public void EmptyWheel_RoutesNothing()
    {
        Assert.Null(TrafficWheel.Empty.Next());
    }
}
