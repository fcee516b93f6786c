using System.Text.Json;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// The runtime's production in two Cloud Run regions, through the double: the same service name in each
/// region, each with its own revisions, migration job, rollout and receipt; in sequence a failed rollout in the
/// first leaves the second untouched, at once both go out — and <c>plan --format shell</c> prints each region's
/// gcloud calls in wave order.
/// </summary>
public sealed class CloudRunRegionTests : CloudRunExampleTests
{
    private const string Central = "projects/openagentsgemini/locations/us-central1/services/runtime";
    private const string West = "projects/openagentsgemini/locations/europe-west1/services/runtime";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Google.AddService("openagentsgemini", "europe-west1", "runtime", $"{Registry}/runtime/runtime:aaa1111");
        Google.AddJob("openagentsgemini", "europe-west1", "runtime-migrate", $"{Registry}/runtime/runtime:aaa1111");
    }

    [Fact]
    public void SequentialRegions_AFailedRolloutInTheFirst_LeavesTheSecondUntouched()
    {
        var file = Regions("sequential", "rollout");
        UseFakeClock();
        Google.SimulateLoad(Central, 100);
        // The canary answers half its requests with 5xx once it takes traffic.
        Google.Behaviour = m => m.Percent is > 0 and < 100 ? (0.5, 4) : null;
        var westBefore = Google.Service(West).ToJsonString();

        var rollout = Cli("--file", file, "rollout", "runtime", "--env", "production", "--tag", "bbb2222", "--window", "3m", "--override-gate", "--reason", "test");

        Assert.True(rollout.ExitCode == 1, rollout.ToString());
        Assert.Contains("== wave 1/2 (sequential): runtime in production, us-central1", rollout.Out, StringComparison.Ordinal);
        Assert.Contains("us-central1 FAILED: rollout failed: stage 5% failed: 5xx rate", rollout.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("== wave 2/2", rollout.Out, StringComparison.Ordinal);
        Assert.EndsWith("; europe-west1 never touched", rollout.ErrLines.Last(), StringComparison.Ordinal);
        Assert.Equal(westBefore, Google.Service(West).ToJsonString());
        var receipts = Directory.GetFiles(Path.Combine(Dir.Path, ".deploymatrix", "receipts"));
        Assert.Single(receipts, r => r.Contains("runtime-production-us-central1-rollout", StringComparison.Ordinal));
        Assert.DoesNotContain(receipts, r => r.Contains("europe-west1", StringComparison.Ordinal));
        var central = JsonDocument.Parse(File.ReadAllText(receipts.Single(r => r.Contains("us-central1-rollout", StringComparison.Ordinal)))).RootElement;
        Assert.Equal(("us-central1", "failed"), (central.GetProperty("region").GetString(), central.GetProperty("result").GetString()));
    }

    [Fact]
    public void ParallelRegions_BothGoOut_EachWithItsOwnMigrationAndTraffic()
    {
        var file = Regions("parallel", "immediate");
        ServeTheExampleApps();

        var deploy = Cli("--file", file, "deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test");

        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("production (parallel, 2 regions): us-central1 succeeded; europe-west1 succeeded", deploy.Out, StringComparison.Ordinal);
        foreach (var (service, region) in new[] { (Central, "us-central1"), (West, "europe-west1") })
        {
            var created = Google.Service(service)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
            var traffic = Google.Service(service)["traffic"]!.AsArray();
            Assert.Contains(traffic, t => t!["revision"]?.GetValue<string>() == created && t["percent"]?.GetValue<int>() == 100);
            var job = Google.Job($"projects/openagentsgemini/locations/{region}/jobs/runtime-migrate");
            Assert.Equal($"{Registry}/runtime/runtime:bbb2222", job["template"]!["template"]!["containers"]![0]!["image"]!.GetValue<string>());
            Assert.Single(Directory.GetFiles(Path.Combine(Dir.Path, ".deploymatrix", "receipts"), $"*runtime-production-{region}-deploy.json"));
        }
    }

    [Fact]
    public void ThePlansShellForm_NamesEachWave_AndEachRegionsCalls()
    {
        var sequential = Regions("sequential", "immediate");

        var plan = Cli("--file", sequential, "plan", "runtime", "--env", "production", "--tag", "bbb2222", "--format", "shell");
        var one = Cli("--file", sequential, "plan", "runtime", "--env", "production", "--region", "europe-west1", "--tag", "bbb2222", "--format", "shell");

        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.StartsWith("# 2 regions of production, one wave after another", plan.Out, StringComparison.Ordinal);
        var central = plan.Out.IndexOf("# wave 1/2: runtime in production, us-central1\ngcloud artifacts docker images describe ", StringComparison.Ordinal);
        var west = plan.Out.IndexOf("# wave 2/2: runtime in production, europe-west1\ngcloud artifacts docker images describe ", StringComparison.Ordinal);
        Assert.True(central > 0 && west > central, plan.Out);
        Assert.True(plan.Out.IndexOf("gcloud run deploy runtime --project openagentsgemini --region europe-west1 ", StringComparison.Ordinal) > west, plan.Out);
        Assert.Contains("gcloud run jobs execute runtime-migrate --project openagentsgemini --region europe-west1 --wait", plan.Out, StringComparison.Ordinal);
        Assert.Contains("gcloud run services update-traffic runtime --project openagentsgemini --region us-central1 --to-tags dm-bbb2222=100", plan.Out, StringComparison.Ordinal);
        Assert.StartsWith("gcloud artifacts docker images describe ", one.Out, StringComparison.Ordinal);
        Assert.Contains("\ngcloud run deploy runtime --project openagentsgemini --region europe-west1 ", one.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("--region us-central1", one.Out, StringComparison.Ordinal);
    }

    /// <summary>The example with the runtime's production in us-central1 and europe-west1, in <paramref name="order"/>.</summary>
    private string Regions(string order, string traffic)
    {
        var matrix = File.ReadAllText(Path.Combine(Dir.Path, "deploymatrix.yaml"));
        const string Production = "production: { service: runtime, port: 18082, traffic: direct }";
        Assert.Contains(Production, matrix, StringComparison.Ordinal);
        var name = $"regions-{order}.yaml";
        File.WriteAllText(Path.Combine(Dir.Path, name), matrix.Replace(Production,
            $"production:\n        service: runtime\n        traffic: {traffic}\n        order: {order}\n        regions: [us-central1, europe-west1]", StringComparison.Ordinal)
            // The gate's check of the runtime's production rollouts now names the region it reads.
            .Replace("canary-status: { lane: runtime, env: production }", "canary-status: { lane: runtime, env: production, region: us-central1 }", StringComparison.Ordinal)
            .Replace("lane: runtime, env: production, timeout: 5m", "lane: runtime, env: production, region: us-central1, timeout: 5m", StringComparison.Ordinal));
        return name;
    }
}
