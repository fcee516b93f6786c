using System.Diagnostics;
using DeployMatrix.CloudRun.Build;

namespace DeployMatrix.CloudRun.Tests;

/// <summary>
/// The bound on one read of a build's log, whichever the source: a read that hangs is given up after the bound,
/// and never holds the build's end for longer than one bound (the HTTP client's own timeout is 100 s).
/// </summary>
public sealed partial class CloudBuildLogTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(300);

    /// <summary>Each read of the log answers after a minute, far past the bound (unless the client gives up first).</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData("GCS_ONLY")]
    [InlineData("CLOUD_LOGGING_ONLY")]
    public async Task ALogReadThatHangs_FailsAtTheBound_ThreeTimes_ThenOneWarning_AndTheBuildSucceeds(string mode)
    {
        _source.Write("deploy/cloudbuild.yaml", Config + $"\noptions:\n  logging: {mode}\n");
        _connection.Fake.PollsPerOperation = 8; // about 2.5 s of polls: time for three bounded reads
        _connection.Fake.BuildLogHang = Hang;
        var lines = new List<string>();

        var report = await _connection.Builder(_source.Path, logReadTimeout: Bound).BuildAsync(Step(), lines.Add, CancellationToken.None);

        Assert.Equal("SUCCESS", report.Status);
        var warning = Assert.Single(lines, l => l.StartsWith("warning:", StringComparison.Ordinal));
        Assert.EndsWith("(no answer within 0.3 s); it is no longer streamed, the log URL follows when the build ends", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.StartsWith('│'));
        // Three reads, each abandoned by the client at the bound (the double saw it give up), while the build ran.
        Assert.Equal(Enumerable.Repeat((0, true), BuildLogTail.FailuresBeforeGivingUp), _connection.Fake.BuildLogReads);
    }

    [Theory]
    [InlineData("GCS_ONLY")]
    [InlineData("CLOUD_LOGGING_ONLY")]
    public async Task ALogReadThatHangs_HoldsTheBuildsEnd_ByNoMoreThanTheBound(string mode)
    {
        _source.Write("deploy/cloudbuild.yaml", Config + $"\noptions:\n  logging: {mode}\n");
        _connection.Fake.PollsPerOperation = 2; // the build ends while the first read hangs
        _connection.Fake.BuildLogHang = Hang;
        var lines = new List<string>();

        var report = await _connection.Builder(_source.Path, logReadTimeout: Bound).BuildAsync(Step(), lines.Add, CancellationToken.None);
        var held = Stopwatch.GetElapsedTime(_connection.Fake.BuildEnds[report.Id]);

        Assert.Equal("SUCCESS", report.Status);
        // The read in flight when the build ended is dropped; the last read waits one bound at most. The margin is
        // for a loaded machine; without the bound the build's end would wait for the hang (a minute).
        Assert.True(held < Bound + TimeSpan.FromSeconds(2), $"the build's end was held {held.TotalMilliseconds:0} ms");
        Assert.True(held >= Bound, $"the last read ended after {held.TotalMilliseconds:0} ms, before the bound: it did not hang");
        Assert.DoesNotContain(lines, l => l.StartsWith("warning:", StringComparison.Ordinal)); // one or two failed reads: no warning
    }
}
