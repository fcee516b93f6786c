
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// Each target's traffic policy and a lane that skips staging, on Cloud Run through the double, and the same
/// plans as <c>plan --format shell</c> prints them: the runtime's production deploy is upstream's (all traffic with
/// the revision, then the migration), its staging deploy takes all traffic by its tag once migrated and
/// smoke-checked; the control service's production deploy takes none and goes out by rollout.
/// </summary>
public sealed class CloudRunTrafficPolicyTests : CloudRunExampleTests
{
    private const string Runtime = "projects/openagentsgemini/locations/us-central1/services/runtime";

    [Fact]
    public void ARuntimeProductionDeploy_IsUpstreams_AllTrafficWithTheRevision_ThenTheMigration()
    {
        var run = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test");

        Assert.True(run.ExitCode == 0, run.ToString());
        var created = Google.Service(Runtime)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.Equal($"{created}=100", Traffic("runtime", "production"));
        // The deploy's own update gave it everything (LATEST, as gcloud run deploy without --no-traffic), untagged.
        Assert.Equal([(created, 100)], Google.TrafficHistory("runtime").First(split => split.Any(s => s.Revision == created && s.Percent > 0)));
        Assert.DoesNotContain(Google.Service(Runtime)["traffic"]!.AsArray(), t => t!["tag"]?.GetValue<string>() == "dm-bbb2222");
        // Smoke ran on the service URL, where the revision already served.
        Assert.Equal(["/healthz", "/readyz"], Google.Served.Where(r => r.Revision == created && r.Tag is null && r.Path != "/").Select(r => r.Path).Distinct());
        var job = Google.Job("projects/openagentsgemini/locations/us-central1/jobs/runtime-migrate");
        Assert.Equal($"{Registry}/runtime/runtime:bbb2222", job["template"]!["template"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal(created, Receipt(run).GetProperty("revision").GetString());
        // One write of the service (the deploy's update), never a traffic change or a tag after it.
        Assert.Single(Google.Calls, c => c.StartsWith("PATCH ", StringComparison.Ordinal) && c.Contains("/services/runtime", StringComparison.Ordinal));
        Assert.DoesNotContain(Google.Service(Runtime)["traffic"]!.AsArray(), t => t!["tag"] is not null);
        Assert.Equal($"{created}=100", Receipt(run).GetProperty("traffic_after").GetString());
    }

    /// <summary>
    /// After a rollback pinned the split to a named revision, a direct deploy through the API still gives the new
    /// revision all traffic: its update sends LATEST=100 (what "deploy with traffic" means), not the pin.
    /// </summary>
    [Fact]
    public void ADirectDeployAfterARollback_TakesAllTrafficThroughTheApi_ThePinNotKept()
    {
        Assert.Equal(0, Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test").ExitCode);
        Assert.Equal(0, Cli("rollback", "runtime", "--env", "production").ExitCode);
        var pinned = Traffic("runtime", "production");

        var run = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test");

        Assert.True(run.ExitCode == 0, run.ToString());
        var created = Google.Service(Runtime)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.NotEqual($"{created}=100", pinned);
        Assert.Equal($"{created}=100", Traffic("runtime", "production"));
        Assert.Equal("TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", Assert.Single(Google.Service(Runtime)["traffic"]!.AsArray(), t => t!["percent"]?.GetValue<int>() > 0)!["type"]!.GetValue<string>());
    }

    /// <summary>
    /// gcloud's deploy keeps a split pinned to named revisions ("Lifecycle of traffic splits"), so after a rollback a
    /// direct deploy under <c>--executor gcloud</c> would leave its revision serving nothing while its checks passed on
    /// the old one. gcloud reports the revision "serving 0 percent of traffic"; the deploy stops there (exit 1), the
    /// migration never runs, the split stays as the rollback left it, and the error names the ways on.
    /// </summary>
    [Fact]
    public void ADirectDeployThroughGcloud_OnASplitARollbackPinned_StopsBeforeTheMigration_AndSaysWhy()
    {
        using var bin = new TempDir();
        var env = new Dictionary<string, string>(Env, StringComparer.Ordinal) { ["PATH"] = GcloudToDouble.Install(bin.Path, Google.BaseUri, CloudRunDouble.Token) };
        Assert.Equal(0, Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test").ExitCode);
        Assert.Equal(0, Cli("rollback", "runtime", "--env", "production").ExitCode);
        var pinned = Traffic("runtime", "production");
        var migrations = Google.Calls.Count(c => c.Contains("jobs/runtime-migrate:run", StringComparison.Ordinal));

        var run = CliRun.Invoke(Dir.Path, env, ["--platform", "cloudrun", "deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--executor", "gcloud", "--override-gate", "--reason", "test"]);

        Assert.True(run.ExitCode == 1, run.ToString());
        var created = Google.Service(Runtime)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.Contains($"{created} serves 0% of traffic, not all of it: the split is pinned to named revisions", run.Err, StringComparison.Ordinal);
        Assert.Contains("deploy runtime --env production --no-traffic, then rollout runtime --env production", run.Err, StringComparison.Ordinal);
        Assert.Equal(pinned, Traffic("runtime", "production"));
        Assert.Equal(migrations, Google.Calls.Count(c => c.Contains("jobs/runtime-migrate:run", StringComparison.Ordinal)));
        Assert.Contains("run deploy runtime --project openagentsgemini --region us-central1 --image " + Registry + "/runtime/runtime:bbb2222 --quiet", GcloudToDouble.Calls(bin.Path));
    }

    [Fact]
    public void ARuntimeStagingDeploy_TakesAllTrafficByItsTag_NeverBeforeItsMigrationAndSmokeChecks()
    {
        const string Staging = "projects/openagentsgemini/locations/us-central1/services/runtime-staging";
        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222");

        Assert.True(run.ExitCode == 0, run.ToString());
        var created = Google.Service(Staging)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.Equal($"{created}=100", Traffic("runtime", "staging"));
        // Only one split ever gave it traffic, and that split gave it everything: nothing partial, nothing early.
        Assert.Equal([[(created, 100)]], Google.TrafficHistory("runtime-staging").Where(split => split.Any(s => s.Revision == created && s.Percent > 0)));
        Assert.Equal(["/healthz", "/readyz"], Google.Served.Where(r => r.Revision == created && r.Tag == "dm-bbb2222").Select(r => r.Path));
    }

    [Fact]
    public void AControlServiceProductionDeploy_TakesNoTraffic_AndSaysItGoesOutByRollout()
    {
        var before = Traffic("openagents-control-service", "production");

        var run = Cli("deploy", "openagents-control-service", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(before, Traffic("openagents-control-service", "production"));
        Assert.Contains("note: openagents-control-service goes out in 'production' by rollout (traffic: rollout)", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void ThePlansShellForms_AreWhatTheDeploysRan()
    {
        var runtime = Cli("plan", "runtime", "--env", "production", "--tag", "bbb2222", "--format", "shell");
        var control = Cli("plan", "openagents-control-service", "--env", "production", "--tag", "bbb2222", "--format", "shell");

        // After the preflight's reads, upstream's deploy, word for word.
        Assert.StartsWith("gcloud artifacts docker images describe ", runtime.Out, StringComparison.Ordinal);
        Assert.Equal($"gcloud run deploy runtime --project openagentsgemini --region us-central1 --image {Registry}/runtime/runtime:bbb2222 --quiet",
            runtime.Out.Split('\n').First(l => l.StartsWith("gcloud run deploy", StringComparison.Ordinal)));
        Assert.Contains("gcloud run jobs execute runtime-migrate --project openagentsgemini --region us-central1 --wait --format 'value(metadata.name)'\n", runtime.Out, StringComparison.Ordinal);
        // Nothing moves traffic or tags after upstream's deploy: the deploy did.
        Assert.DoesNotContain("update-traffic", runtime.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("--no-traffic", runtime.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("--tag", runtime.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("--to-tags", control.Out, StringComparison.Ordinal);
        // After the preflight's reads (the image, the service, its template's env), the verify (its tests; the budget check is a
        // request, a comment) comes before the deploy, the first write.
        Assert.StartsWith("gcloud artifacts docker images describe ", control.Out, StringComparison.Ordinal);
        var deploy = control.Out.IndexOf("\ngcloud run deploy openagents-control-service --project openagentsgemini --region us-central1 --image ", StringComparison.Ordinal);
        var tests = control.Out.IndexOf("\ncargo test --manifest-path apps/openagents.com/service/Cargo.toml\n", StringComparison.Ordinal);
        Assert.True(tests >= 0 && deploy > tests, control.Out);
    }

    [Fact]
    public void ALaneWithoutStaging_IsRefusedThere_AndReachesProductionOnTheTagsGo()
    {
        ServeTheExampleApps();
        var skipping = ExampleVariants.WithoutRuntimeStaging(Dir.Path);

        var staging = Cli("--file", skipping, "deploy", "runtime", "--env", "staging", "--tag", "bbb2222");
        var plan = Cli("--file", skipping, "plan", "runtime", "--env", "staging", "--tag", "bbb2222", "--format", "shell");
        var ungated = Cli("--file", skipping, "deploy", "runtime", "--env", "production", "--tag", "bbb2222");
        Assert.Equal(0, Cli("--file", skipping, "deploy", "openagents-control-service", "--env", "staging", "--tag", "bbb2222").ExitCode);
        var gate = Cli("--file", skipping, "gate", "--tag", "bbb2222");
        var promoted = Cli("--file", skipping, "deploy", "runtime", "--env", "production", "--tag", "bbb2222");

        const string Skips = "deploymatrix: lane 'runtime' skips environment 'staging' (it deploys to production)";
        Assert.Equal((2, Skips), (staging.ExitCode, staging.ErrLines.Last()));
        Assert.Equal((2, "", Skips), (plan.ExitCode, plan.Out, plan.ErrLines.Last()));
        Assert.Equal(1, ungated.ExitCode);
        Assert.Contains("tag bbb2222 has not been through the gate from staging to production", ungated.Err, StringComparison.Ordinal);
        Assert.True(gate.ExitCode == 0, gate.ToString());
        Assert.True(promoted.ExitCode == 0, promoted.ToString());
        var created = Google.Service(Runtime)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.Equal($"{created}=100", Traffic("runtime", "production"));
    }

    /// <summary>The split as REV=PCT,…, as status gives it.</summary>
    private string Traffic(string lane, string env) =>
        string.Join(",", Status(lane, env).GetProperty("traffic").EnumerateArray().Select(t => $"{t.GetProperty("revision").GetString()}={t.GetProperty("percent").GetInt32()}"));
}
