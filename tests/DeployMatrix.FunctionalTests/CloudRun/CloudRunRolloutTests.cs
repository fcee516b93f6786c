using System.Globalization;
using System.Text.RegularExpressions;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// Rollouts on Cloud Monitoring as it behaves: request metrics in 60 s samples, visible minutes after
/// they end (the double's 150 s), on a fake clock. Each stage must be judged on whole periods at its own
/// split, read only once visible — never on the split before it, never before its last minutes show.
/// </summary>
public sealed partial class CloudRunRolloutTests : CloudRunExampleTests
{
    private const string Service = "projects/openagentsgemini/locations/us-central1/services/runtime";
    private const int PerSecond = 100;

    [Fact]
    public void EachStage_IsJudgedOnWholePeriodsAtItsOwnSplit_ReadOnceCloudMonitoringShowsThem()
    {
        var (stable, canary) = DeployACanary();

        var rollout = Cli("rollout", "runtime", "--env", "production", "--window", "3m", "--override-gate", "--reason", "test");

        Assert.True(rollout.ExitCode == 0, rollout.ToString());
        var judged = JudgedStages(rollout.Out);
        Assert.True(judged.Keys.SequenceEqual([5, 25, 50]), rollout.ToString());
        foreach (var (percent, (canaryRequests, stableRequests, periods)) in judged)
        {
            // Whole periods at this stage's split and nothing else: the shares are exact.
            Assert.InRange(periods, 2, 3);
            Assert.Equal((periods * 60L * PerSecond * percent / 100, periods * 60L * PerSecond * (100 - percent) / 100), (canaryRequests, stableRequests));
        }

        Assert.NotEmpty(Google.MetricsQueries);
        Assert.All(Google.MetricsQueries, q =>
        {
            Assert.Equal(0, q.From.Ticks % TimeSpan.TicksPerMinute);
            Assert.Equal(0, q.To.Ticks % TimeSpan.TicksPerMinute);
            Assert.Equal(q.To - q.From, q.Alignment);
            Assert.True(q.To <= q.At - Google.MetricsDelay, $"asked at {q.At:HH:mm:ss} for data up to {q.To:HH:mm:ss}, not visible yet");
        });
        Assert.Equal(canary, Status("runtime", "production").GetProperty("traffic")[0].GetProperty("revision").GetString());
        Assert.NotEqual(stable, canary);
    }

    [Fact]
    public void ACanaryThatFailsInTheLastMinutesOfItsStage_IsCaught_BeforeTrafficMovesOn()
    {
        var (stable, canary) = DeployACanary();
        // From a minute after it takes 5%, half of the canary's answers are 5xx: only the stage's later periods show it.
        Google.Behaviour = m => m.Revision == canary && m.Percent == 5 && m.At - m.Since >= TimeSpan.FromMinutes(1) ? (0.5, 4) : null;

        // Four minutes: read at the window's end, the first minute (healthy, enough to judge) is all that shows.
        var rollout = Cli("rollout", "runtime", "--env", "production", "--window", "4m", "--override-gate", "--reason", "test");

        Assert.True(rollout.ExitCode == 1, rollout.ToString());
        Assert.Contains("rollout failed — stage 5% failed: 5xx rate: canary ", rollout.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("canary at 25%", rollout.Out, StringComparison.Ordinal);
        var traffic = Status("runtime", "production").GetProperty("traffic");
        Assert.Equal((1, stable), (traffic.GetArrayLength(), traffic[0].GetProperty("revision").GetString()));
    }

    [Fact]
    public void AWindowTooShortForCloudMonitoring_IsRefused_WithTheReason_BeforeAnythingChanges()
    {
        var before = Status("runtime", "production").GetProperty("traffic").ToString();

        var rollout = Cli("rollout", "runtime", "--env", "production", "--window", "1m", "--override-gate", "--reason", "test");

        Assert.Equal(2, rollout.ExitCode);
        Assert.Contains("--window: an analysis window of 1m is shorter than 3m, the least Cloud Run allows: its request metrics come in 1m periods, visible up to 3m later", rollout.Err, StringComparison.Ordinal);
        Assert.Contains("give --window 3m or longer", rollout.Err, StringComparison.Ordinal);
        Assert.Equal(before, Status("runtime", "production").GetProperty("traffic").ToString());
    }

    /// <summary>Production at :bbb2222 with no traffic, 100 requests a second on the fake clock.</summary>
    private (string Stable, string Canary) DeployACanary()
    {
        UseFakeClock();
        var deploy = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--override-gate", "--reason", "test");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var status = Status("runtime", "production");
        Google.SimulateLoad(Service, PerSecond);
        return (status.GetProperty("traffic")[0].GetProperty("revision").GetString()!, status.GetProperty("latest_created_revision").GetString()!);
    }

    /// <summary>Per analysed stage: the canary's and stable's requests it was judged on and its whole periods.</summary>
    private static SortedDictionary<int, (long Canary, long Stable, int Periods)> JudgedStages(string output)
    {
        var stages = new SortedDictionary<int, (long, long, int)>();
        foreach (Match m in StageVerdict().Matches(output))
        {
            stages[int.Parse(m.Groups["stage"].Value, CultureInfo.InvariantCulture)] = (
                long.Parse(m.Groups["canary"].Value, CultureInfo.InvariantCulture),
                long.Parse(m.Groups["stable"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["periods"].Value, CultureInfo.InvariantCulture));
        }

        return stages;
    }

    [GeneratedRegex(@"\[\s*(?<stage>\d+)%\] PASS: 5xx rate: canary [\d.]+% \(\d+/(?<canary>\d+)\) vs stable [\d.]+% \(\d+/(?<stable>\d+)\).*?judged on \S+–\S+ \((?<periods>\d+) whole 60 s periods\)")]
    private static partial Regex StageVerdict();
}
