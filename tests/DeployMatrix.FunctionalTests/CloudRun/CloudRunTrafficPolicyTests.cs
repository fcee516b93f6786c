
using DeployMatrix.FunctionalTests.Support;

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
        Assert.Contains("gcloud run services update-traffic runtime --project openagentsgemini --region us-central1 --to-revisions LATEST=100\n", runtime.Out, StringComparison.Ordinal);
        Assert.True(runtime.Out.IndexOf("LATEST=100", StringComparison.Ordinal) < runtime.Out.IndexOf("jobs execute", StringComparison.Ordinal));
        Assert.DoesNotContain("--to-tags", runtime.Out, StringComparison.Ordinal);
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
