using DeployMatrix.Core.Analysis;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Tests.Rollout;

/// <summary>What a live view of a rollout reads: its series, its window's end, its records' verdicts and the actions open to a person.</summary>
public sealed class RolloutWatchTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Series_HoldsWhatEachRevisionHandledBetweenSamples_AndTheStagesTotals()
    {
        var series = new RolloutSeries();
        series.Add(T0, 5, Counters(("s", 100, 0, [100, 0]), ("c", 0, 0, [0, 0])), Split(95, 5));
        series.Add(T0.AddSeconds(1), 5, Counters(("s", 190, 1, [180, 10]), ("c", 10, 2, [2, 8])), Split(95, 5));
        series.Add(T0.AddSeconds(2), 25, Counters(("s", 265, 1, [250, 15]), ("c", 35, 2, [20, 15])), Split(75, 25));

        var points = series.Points();
        Assert.Equal(2, points.Count); // the first sample is the baseline
        var canary = points[0].Revisions.Single(r => r.Revision == "c");
        Assert.Equal((10L, 2L, 20.0, 5), (canary.Requests, canary.Failed, canary.ErrorRatePercent, canary.Percent));
        Assert.Equal(50, canary.P95Ms); // 8 of 10 in the upper bucket
        Assert.Equal(25, points[1].Stage);
        // The 25% stage from the sample before it was seen: 25 requests of the canary, none failed.
        var stage = series.StageSoFar("c");
        Assert.Equal((25L, 0L), (stage.Requests, stage.Failed));
    }

    [Fact]
    public void Series_KeepsOnlyItsCapacity_OldestGoingFirst()
    {
        var series = new RolloutSeries(capacity: 3);
        for (var i = 0; i < 6; i++)
        {
            series.Add(T0.AddSeconds(i), 5, Counters(("s", i * 10, 0, [i * 10, 0])), Split(100, 0));
        }

        Assert.Equal([T0.AddSeconds(3), T0.AddSeconds(4), T0.AddSeconds(5)], series.Points().Select(p => p.At));
    }

    [Theory]
    [InlineData("running", 25, true, 40.0)]
    [InlineData("running", 0, true, null)]
    [InlineData("running", 100, true, null)]
    [InlineData("running", 25, false, null)] // interrupted: nobody runs its window
    [InlineData("paused", 25, false, null)]
    public void TheWindow_EndsAWindowAfterTheStagesSplitWasSet_WhileAStageWithAWindowRuns(string status, int stage, bool alive, double? endsAfterSeconds)
    {
        var rollout = Rollout(status, stage, alive);

        var ends = RolloutWatchOperation.WindowEnds(rollout);

        Assert.Equal(endsAfterSeconds is { } s ? T0.AddSeconds(s) : null, ends);
    }

    [Theory]
    [InlineData("running", true, "pause,abort,promote")]
    [InlineData("running", false, "resume,abort,promote")]
    [InlineData("paused", false, "resume,abort,promote")]
    [InlineData("held", false, "resume,abort,promote")]
    [InlineData("succeeded", false, "")]
    [InlineData("aborted", false, "")]
    public void APerson_IsOfferedWhatTheRolloutCanTakeNow(string status, bool alive, string actions)
    {
        Assert.Equal(actions, string.Join(',', RolloutControlOperation.Actions(Rollout(status, 25, alive))));
    }

    [Theory]
    [InlineData("pass: 5xx rate: canary 0% (0/34)", "pass")]
    [InlineData("fail: 5xx rate: canary 9%", "fail")]
    [InlineData("inconclusive: at least 20 each are needed", "inconclusive")]
    [InlineData("aborted: aborted by ana (dashboard) at 5%: wrong build", "aborted")]
    [InlineData("succeeded", "succeeded")]
    [InlineData("traffic set", "note")]
    [InlineData("passed the gate", "note")]
    public void ARecordsVerdict_IsTheWordItStartsWith(string result, string verdict) =>
        Assert.Equal(verdict, RolloutWatchOperation.VerdictOf(result));

    private static Engine.Rollout.Rollout Rollout(string status, int stage, bool alive) =>
        Engine.Rollout.Rollout.From(new RolloutRecord(1, "web", "staging", "s", "c", status, stage, null, "t0", T0.ToString("O"), [0, 5, 25, 50, 100], 2, 40_000,
            status == "running" ? 99 : null), new StoreOwner(10, _ => alive));

    private static Dictionary<string, RevisionSample> Counters(params (string Name, long Requests, long Failed, long[] Histogram)[] revisions) =>
        revisions.ToDictionary(r => r.Name, r => new RevisionSample(r.Name, r.Requests, r.Failed, r.Histogram, [10, 50]), StringComparer.Ordinal);

    private static List<TrafficAssignment> Split(int stable, int canary) => [new("s", stable), new("c", canary)];
}
