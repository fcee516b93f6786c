using System.Text.Json;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// The whole seed on Cloud Run, one release after another, against the double: Cloud Build, staging,
/// the go/no-go gate, production without traffic with the mandatory migration and drift check, a canary
/// rollout to 100%, a failing canary rolled back (after which the gate says no-go), and the drill.
/// </summary>
public sealed class CloudRunSeedTests : CloudRunExampleTests
{
    private const string Runtime = "projects/openagentsgemini/locations/us-central1/services/runtime";

    [Fact]
    public void TheSeedsReleasePath_RunsOnCloudRun_FromBuildToCanaryToDrill()
    {
        UseFakeClock(); // Cloud Monitoring's minutes of delay pass in moments
        ServeTheExampleApps();

        // Build both service lanes on Cloud Build, then staging takes them (with the runtime's migration).
        Ok(Cli("build", "runtime", "--tag", "bbb2222"));
        Ok(Cli("build", "openagents-control-service", "--tag", "bbb2222"));
        Assert.Equal(2, Google.Builds.Count);
        Ok(Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222"));
        Ok(Cli("deploy", "openagents-control-service", "--env", "staging", "--tag", "bbb2222"));

        // Production refuses the tag until the gate passed for it.
        var ungated = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222");
        Assert.Equal(1, ungated.ExitCode);
        Assert.Contains("tag bbb2222 has not been through the gate from staging to production", ungated.Err, StringComparison.Ordinal);
        var gate = Ok(Cli("gate", "--tag", "bbb2222"));
        Assert.Contains("\nGO: evidence in ", "\n" + gate.Out, StringComparison.Ordinal);

        // Production: a canary without traffic (the runtime's production otherwise takes all traffic once
        // checked: traffic: immediate), the migration with the same image, no drift.
        var stable = Traffic("runtime").Single().Revision;
        var deploy = Ok(Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic"));
        Assert.Equal("none", Receipt(deploy).GetProperty("drift").GetString());
        Assert.Equal([(stable, 100)], Traffic("runtime"));
        var canary = Status("runtime", "production").GetProperty("latest_created_revision").GetString()!;

        // The canary takes the stages on Cloud Monitoring's numbers and ends with all traffic.
        Google.SimulateLoad(Runtime, perSecond: 100);
        Assert.Contains("rollout complete", Ok(Cli("rollout", "runtime", "--env", "production", "--window", "3m")).Out, StringComparison.Ordinal);
        Assert.Equal([(canary, 100)], Traffic("runtime"));

        // The next release errs at its first stage: rolled back to the revision above, and the gate turns no-go.
        // The gate approves what staging serves: both gated lanes at ccc3333, not a name.
        Ok(Cli("deploy", "runtime", "--env", "staging", "--tag", "ccc3333"));
        var halfReleased = Cli("gate", "--tag", "ccc3333");
        Assert.Equal(1, halfReleased.ExitCode);
        Assert.Contains("✗ serves-tag-openagents-control-service required failed  openagents-control-service-staging (staging) runs ", halfReleased.Out, StringComparison.Ordinal);
        Ok(Cli("deploy", "openagents-control-service", "--env", "staging", "--tag", "ccc3333"));
        Ok(Cli("gate", "--tag", "ccc3333"));
        Ok(Cli("deploy", "runtime", "--env", "production", "--tag", "ccc3333", "--no-traffic"));
        var failing = Status("runtime", "production").GetProperty("latest_created_revision").GetString()!;
        Google.RevisionBehaviour[failing] = (0.05, 4);
        var rollout = Cli("rollout", "runtime", "--env", "production", "--window", "3m");
        Assert.True(rollout.ExitCode == 1, rollout.ToString());
        Assert.Contains("rolled back", rollout.ToString(), StringComparison.Ordinal);
        Assert.Equal([(canary, 100)], Traffic("runtime"));
        // The rollout returned to the last good revision itself: a rollback now would change nothing, and says so.
        var rollback = Cli("rollback", "runtime", "--env", "production");
        Assert.Equal(1, rollback.ExitCode);
        Assert.Contains($"{canary}, the stable revision, already serves all traffic of runtime: nothing to roll back; name another with --to (revisions that can: ", rollback.Err, StringComparison.Ordinal);
        Assert.Equal([(canary, 100)], Traffic("runtime"));
        var noGo = Cli("gate", "--tag", "ccc3333");
        Assert.Equal(1, noGo.ExitCode);
        Assert.Contains("✗ runtime-canary-status", noGo.Out, StringComparison.Ordinal);
        Assert.Contains("NO-GO: evidence in ", noGo.Out, StringComparison.Ordinal);

        // The seed's drill: stages the latest revision as a canary and rolls it back, with a report.
        var report = Path.Combine(Dir.Path, "drill");
        var drill = Ok(Cli("drill", "canary", "runtime", "--env", "production", "--steps", "5,50", "--dwell", "300ms", "--out", report));
        Assert.Equal("pass", JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "summary.json"))).RootElement.GetProperty("overall_status").GetString());
        Assert.Equal([(canary, 100)], Traffic("runtime"));
        Assert.True(Cli("audit", "verify").ExitCode == 0, drill.ToString());
    }

    private List<(string Revision, int Percent)> Traffic(string lane) =>
        [.. Status(lane, "production").GetProperty("traffic").EnumerateArray().Select(t => (t.GetProperty("revision").GetString()!, t.GetProperty("percent").GetInt32()))];

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }
}
