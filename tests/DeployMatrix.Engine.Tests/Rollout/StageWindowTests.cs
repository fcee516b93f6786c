using DeployMatrix.Core.Analysis;
using DeployMatrix.Engine.Rollout;

namespace DeployMatrix.Engine.Tests.Rollout;

/// <summary>What a stage's window measured: the difference of a revision's cumulative counters between two reads.</summary>
public sealed class StageWindowTests
{
    private static readonly double[] Bounds = [5, 10, 25];

    [Fact]
    public void AWindow_CountsOnlyWhatHappenedInIt_BucketByBucket()
    {
        var before = Read(new RevisionSample("c", 10, 1, [4, 4, 2], Bounds));
        var after = Read(new RevisionSample("c", 25, 4, [9, 10, 6], Bounds));

        var window = StageAnalysis.Delta(after, before, "c");

        Assert.Equal((15L, 3L), (window.Requests, window.Failed));
        Assert.Equal([5L, 6, 4], window.Histogram);
        Assert.Same(Bounds, window.BucketBoundsMs);
    }

    [Fact]
    public void BucketsTheFirstReadDidNotHave_CountWhole()
    {
        var before = Read(new RevisionSample("c", 3, 0, [3], Bounds));
        var after = Read(new RevisionSample("c", 6, 0, [4, 1, 1], Bounds));

        Assert.Equal([1L, 1, 1], StageAnalysis.Delta(after, before, "c").Histogram);
    }

    [Fact]
    public void ARevisionFirstSeenAfterTheStart_OrWhoseCountersWentBack_CountsEverythingItReports()
    {
        var restarted = new RevisionSample("c", 4, 1, [4, 0, 0], Bounds);
        var fresh = new RevisionSample("n", 2, 0, [2, 0, 0], Bounds);
        var before = Read(new RevisionSample("c", 50, 2, [50, 0, 0], Bounds));
        var after = Read(restarted, fresh);

        Assert.Same(restarted, StageAnalysis.Delta(after, before, "c"));
        Assert.Same(fresh, StageAnalysis.Delta(after, before, "n"));
    }

    [Fact]
    public void ARevisionTheSecondReadLacks_HandledNothing()
    {
        var before = Read(new RevisionSample("c", 5, 1, [5, 0, 0], Bounds));

        var window = StageAnalysis.Delta(Read(), before, "c");

        Assert.Equal(("c", 0L, 0L), (window.Revision, window.Requests, window.Failed));
        Assert.Empty(window.Histogram);
    }

    [Fact]
    public void EqualCounters_AreAnEmptyWindow_NotARestart()
    {
        var sample = new RevisionSample("c", 7, 1, [7, 0, 0], Bounds);

        var window = StageAnalysis.Delta(Read(sample), Read(sample), "c");

        Assert.Equal((0L, 0L), (window.Requests, window.Failed));
        Assert.Equal([0L, 0, 0], window.Histogram);
    }

    private static Dictionary<string, RevisionSample> Read(params RevisionSample[] samples) => samples.ToDictionary(s => s.Revision, StringComparer.Ordinal);
}
