
using DeployMatrix.FunctionalTests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// Each target's traffic policy and a lane that skips staging, on Cloud Run through the double, and the same
/// plans as <c>plan --format shell</c> prints them: the runtime's production deploy takes all traffic by its tag
/// once migrated and smoke-checked; the control service's takes none and goes out by rollout.
/// </summary>
public sealed class CloudRunTrafficPolicyTests : CloudRunExampleTests
{
    private const string Runtime = "projects/openagentsgemini/locations/us-central1/services/runtime";

    [Fact]
    public void ARuntimeProductionDeploy_TakesAllTrafficByItsTag_NeverBeforeItsMigrationAndSmokeChecks()
    {
        var run = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test");

        Assert.True(run.ExitCode == 0, run.ToString());
        var created = Google.Service(Runtime)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.Equal($"{created}=100", Traffic("runtime", "production"));
        // Only one split ever gave it traffic, and that split gave it everything: nothing partial, nothing early.
        Assert.Equal([[(created, 100)]], Google.TrafficHistory("runtime").Where(split => split.Any(s => s.Revision == created && s.Percent > 0)));
        Assert.Equal(["/healthz", "/readyz"], Google.Served.Where(r => r.Revision == created && r.Tag == "dm-bbb2222").Select(r => r.Path));
        var job = Google.Job("projects/openagentsgemini/locations/us-central1/jobs/runtime-migrate");
        Assert.Equal($"{Registry}/runtime/runtime:bbb2222", job["template"]!["template"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal(created, Receipt(run).GetProperty("revision").GetString());
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

        Assert.EndsWith(
            "gcloud run services update-traffic runtime --project openagentsgemini --region us-central1 --to-tags dm-bbb2222=100\n"
            + "# OLD_TAGS: the dm-… tags beyond the newest 5 releases that serve no traffic, read first with: gcloud run services describe runtime --project openagentsgemini --region us-central1 --format json; nothing runs when there are none\n"
            + "gcloud run services update-traffic runtime --project openagentsgemini --region us-central1 --remove-tags OLD_TAGS\n"
            + "# write the deploy receipt for runtime\n",
            runtime.Out);
        Assert.Contains("gcloud run jobs execute runtime-migrate --project openagentsgemini --region us-central1 --wait --format 'value(metadata.name)'\n", runtime.Out, StringComparison.Ordinal);
        Assert.True(runtime.Out.IndexOf("jobs execute", StringComparison.Ordinal) < runtime.Out.IndexOf("--to-tags", StringComparison.Ordinal));
        Assert.DoesNotContain("--to-tags", control.Out, StringComparison.Ordinal);
        // After the preflight's reads (the image, the service, its template's env), the deploy is the first write.
        Assert.StartsWith("gcloud artifacts docker images describe ", control.Out, StringComparison.Ordinal);
        Assert.StartsWith("gcloud run deploy openagents-control-service --project openagentsgemini --region us-central1 --image ",
            control.Out.Split('\n').First(l => !l.StartsWith('#') && !l.StartsWith("gcloud artifacts", StringComparison.Ordinal) && !l.Contains("services describe", StringComparison.Ordinal)), StringComparison.Ordinal);
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
