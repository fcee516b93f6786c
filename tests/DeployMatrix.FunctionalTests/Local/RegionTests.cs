using System.Text.Json;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>
/// An environment in two regions on the local platform, end to end: each region is a service of its own
/// (SERVICE-REGION) on its own port, with its own migration job, revisions, rollout and receipts; a command that
/// names the environment runs them as waves — one after the other, or at once.
/// </summary>
[Collection(LatencyCollection.Name)]
public sealed class RegionTests : ExampleTest
{
    private const string Lane = "runtime";
    private const string East = "runtime-staging-us-east1";
    private const string West = "runtime-staging-europe-west1";

    protected override ExampleStage Stage => ExampleStage.Agent;

    [Fact]
    public async Task SequentialRegions_AFailedRolloutInTheFirst_LeavesTheSecondUntouched_WithReceiptsPerRegion()
    {
        var (file, faulty) = Regions("sequential");
        var deploy = Example.Cli("--file", file, "deploy", Lane, "--env", "staging", "--tag", "t1");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var westBefore = Revisions(file, "europe-west1");

        CliRun rollout;
        await using (var load = new LoadClient(new Uri($"http://127.0.0.1:{Example.Ports[East]}/api/v1/runtime/status"), workers: 4, limit: TimeSpan.FromMinutes(2), perSecond: 800))
        {
            rollout = Example.Cli("--file", faulty, "rollout", Lane, "--env", "staging", "--tag", "t1", "--window", "2s");
            await load.StopAsync();
        }

        // The deploy went region by region; both took their traffic.
        Assert.Contains("== wave 1/2 (sequential): runtime in staging, us-east1", deploy.Out, StringComparison.Ordinal);
        Assert.Contains("== wave 2/2: europe-west1 succeeded", deploy.Out, StringComparison.Ordinal);
        Assert.Contains("staging (sequential, 2 regions): us-east1 succeeded; europe-west1 succeeded", deploy.Out, StringComparison.Ordinal);
        // The first region's canary failed its 5% stage and went back; the second was never touched.
        Assert.True(rollout.ExitCode == 1, rollout.ToString());
        Assert.Contains("== wave 1/2: us-east1 FAILED: rollout failed: stage 5% failed: 5xx rate", rollout.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("== wave 2/2", rollout.Out, StringComparison.Ordinal);
        Assert.Contains("deploymatrix: staging (sequential, 2 regions): us-east1 failed — rollout failed: stage 5% failed", rollout.Err, StringComparison.Ordinal);
        Assert.EndsWith("; europe-west1 never touched", rollout.ErrLines.Last(), StringComparison.Ordinal);
        Assert.Equal(westBefore, Revisions(file, "europe-west1"));
        Assert.Equal(2, Revisions(file, "us-east1").Count);
        // Receipts per region: both deploys; the failed rollout (and its canary's deploy) in us-east1 only.
        Assert.Equal("us-east1", ReceiptFiles.Only(Example.Dir, Lane, "staging-us-east1", "rollout").GetProperty("region").GetString());
        Assert.Equal("failed", ReceiptFiles.Only(Example.Dir, Lane, "staging-us-east1", "rollout").GetProperty("result").GetString());
        Assert.Equal(West, ReceiptFiles.Only(Example.Dir, Lane, "staging-europe-west1", "deploy").GetProperty("service").GetString());
        Assert.Empty(Directory.GetFiles(Path.Combine(Example.Dir, ".deploymatrix", "receipts"), "*staging-europe-west1-rollout*"));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(Example.Dir, ".deploymatrix", "receipts"), "*staging-us-east1-deploy.json").Length);
        // Each region's rollout is its own: the west has none to show.
        var westRollout = Example.Cli("--file", file, "rollout", "status", Lane, "--env", "staging", "--region", "europe-west1");
        Assert.Equal(1, westRollout.ExitCode);
        Assert.Contains("no rollout of runtime in staging, europe-west1 yet", westRollout.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParallelRegions_GoOutAtOnce_EachOnItsOwnPortAndJob_AndOneFailingDoesNotStopTheOther()
    {
        var (file, faulty) = Regions("parallel");

        var deploy = Example.Cli("--file", file, "deploy", Lane, "--env", "staging", "--tag", "t1");
        var status = Example.Cli("--file", file, "status", Lane, "--env", "staging");
        var broken = Example.Cli("--file", faulty, "deploy", Lane, "--env", "staging", "--tag", "t1");

        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("staging (parallel, 2 regions): us-east1 succeeded; europe-west1 succeeded", deploy.Out, StringComparison.Ordinal);
        Assert.Contains("us-east1: execute migration job runtime-migrate-staging-us-east1", deploy.Out, StringComparison.Ordinal);
        Assert.Contains("europe-west1: execute migration job runtime-migrate-staging-europe-west1", deploy.Out, StringComparison.Ordinal);
        Assert.Contains($"{East} (runtime, staging, us-east1) on http://127.0.0.1:{Example.Ports[East]}", status.Out, StringComparison.Ordinal);
        Assert.Contains($"{West} (runtime, staging, europe-west1) on http://127.0.0.1:{Example.Ports[West]}", status.Out, StringComparison.Ordinal);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        Assert.Contains(East, await http.GetStringAsync(new Uri($"http://127.0.0.1:{Example.Ports[East]}/api/v1/runtime/status")), StringComparison.Ordinal);
        Assert.Contains(West, await http.GetStringAsync(new Uri($"http://127.0.0.1:{Example.Ports[West]}/api/v1/runtime/status")), StringComparison.Ordinal);
        // The east's migration fails; the west goes on regardless, and the command names both.
        Assert.True(broken.ExitCode is 1 or 3, broken.ToString());
        Assert.Contains("deploymatrix: staging (parallel, 2 regions): us-east1 failed — ", broken.Err, StringComparison.Ordinal);
        Assert.EndsWith("; europe-west1 succeeded", broken.ErrLines.Last(), StringComparison.Ordinal);
        Assert.Equal(2, Revisions(file, "europe-west1").Count);
        Assert.Equal("failed", JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(Path.Combine(Example.Dir, ".deploymatrix", "receipts"), "*staging-us-east1-deploy.json").Max()!)).RootElement.GetProperty("result").GetString());
    }

    [Fact]
    public async Task WithoutARegion_MaintenanceActsOnEveryRegion_AndRolloutControlOnTheRegionWhoseRolloutIsUnfinished()
    {
        var (file, faulty) = Regions("sequential");
        var deploy = Example.Cli("--file", file, "deploy", Lane, "--env", "staging", "--tag", "t1");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var on = Example.Cli("--file", file, "maintenance", "enable", Lane, "--env", "staging");
        var shown = Example.Cli("--file", file, "maintenance", "status", Lane, "--env", "staging");
        var during = await Task.WhenAll(new[] { East, West }.Select(name => StatusCodeAsync(Example.Ports[name])));
        var off = Example.Cli("--file", file, "maintenance", "disable", Lane, "--env", "staging");
        var after = await Task.WhenAll(new[] { East, West }.Select(name => StatusCodeAsync(Example.Ports[name])));

        Assert.True(on.ExitCode == 0, on.ToString());
        Assert.Contains($"{East} (staging, local) is in maintenance", on.Out, StringComparison.Ordinal);
        Assert.Contains($"{West} (staging, local) is in maintenance", on.Out, StringComparison.Ordinal);
        Assert.EndsWith("staging (sequential, 2 regions): us-east1 succeeded; europe-west1 succeeded", on.OutLines.Last(), StringComparison.Ordinal);
        Assert.Equal(2, shown.OutLines.Count(l => l.Contains(": in maintenance since", StringComparison.Ordinal)));
        Assert.Equal([503, 503], during);
        Assert.True(off.ExitCode == 0, off.ToString());
        Assert.Equal([200, 200], after);

        // A sequential rollout runs in one region at a time: pause and abort without --region reach that one. (The
        // faulty matrix gives the east a new revision to roll out; no load reaches it, so its stage just waits.)
        // The driver is a process of its own, as a person's terminal would be.
        await using var driving = CliProcess.Start(Example.Dir, "--platform", "local", "--file", faulty, "rollout", Lane, "--env", "staging", "--tag", "t1", "--window", "5m");
        await RolloutShownAsync(file, "running", driving);
        var pause = Example.Cli("--file", file, "rollout", "pause", Lane, "--env", "staging", "--reason", "look first");
        Assert.True(pause.ExitCode == 0, pause.ToString());
        var pausedExit = await driving.ExitAsync(TimeSpan.FromSeconds(30));
        var abort = Example.Cli("--file", file, "rollout", "abort", Lane, "--env", "staging", "--reason", "not today");
        var status = Example.Cli("--file", file, "rollout", "status", Lane, "--env", "staging", "--output", "json");

        Assert.True(pause.ExitCode == 0, pause.ToString());
        Assert.Equal(1, pausedExit);
        Assert.Contains("rollout paused by ", driving.Err, StringComparison.Ordinal);
        Assert.EndsWith("; europe-west1 never touched", driving.Err.TrimEnd(), StringComparison.Ordinal);
        Assert.True(abort.ExitCode == 0, abort.ToString());
        using var rollout = JsonDocument.Parse(status.Out);
        Assert.Equal("aborted", rollout.RootElement.GetProperty("status").GetString());
        Assert.Equal("staging@us-east1", rollout.RootElement.GetProperty("env").GetString());
        Assert.Single(Revisions(file, "europe-west1"));
    }

    [Fact]
    public void RolloutControlWithoutARegion_WhereNoneRanYet_SaysSo()
    {
        var (file, _) = Regions("sequential");

        var status = Example.Cli("--file", file, "rollout", "status", Lane, "--env", "staging");

        Assert.Equal((1, "deploymatrix: no rollout of runtime in staging yet, in any of its regions; start one with: deploymatrix rollout runtime --env staging"),
            (status.ExitCode, status.ErrLines.Single()));
    }

    [Fact]
    public void ARegionNotAmongTheEnvironments_IsBadInput_NamingTheRegionsToUse()
    {
        var (file, _) = Regions("sequential");

        var deploy = Example.Cli("--file", file, "deploy", Lane, "--env", "staging", "--region", "asia-east1", "--tag", "t1");
        var status = Example.Cli("--file", file, "status", Lane, "--env", "staging", "--region", "asia-east1");

        const string Fix = "deploymatrix: lane 'runtime' does not run in region 'asia-east1' in 'staging'; use --region us-east1 or --region europe-west1";
        Assert.Equal((2, Fix), (deploy.ExitCode, deploy.ErrLines.Single()));
        Assert.Equal((2, Fix), (status.ExitCode, status.ErrLines.Single()));
    }

    /// <summary>
    /// The runtime's staging in two regions with ports of their own: the matrix, and the same with the east's
    /// revisions answering half their requests with 500 and its migration failing.
    /// </summary>
    private (string File, string Faulty) Regions(string order)
    {
        var (east, west) = (TestPorts.Free(), TestPorts.Free());
        Example.Ports[East] = east;
        Example.Ports[West] = west;
        var staging = $"staging: {{ service: runtime-staging, port: {Example.Ports["runtime-staging"]}, job: runtime-migrate-staging }}";
        string Target(string eastEnv) =>
            "staging:\n        service: runtime-staging\n        job: runtime-migrate-staging\n        order: " + order + "\n        regions:\n"
            + $"          - {{ region: us-east1, port: {east}{eastEnv} }}\n          - {{ region: europe-west1, port: {west} }}";
        var file = Example.Variant($"regions-{order}.yaml", staging, Target(""));
        // The gate's checks of the runtime's staging now name the region they read.
        File.WriteAllText(Path.Combine(Example.Dir, file), File.ReadAllText(Path.Combine(Example.Dir, file)).Replace("min-requests: 100", "min-requests: 20", StringComparison.Ordinal)
            .Replace("{ lane: runtime, env: staging,", "{ lane: runtime, env: staging, region: us-east1,", StringComparison.Ordinal)
            .Replace("{ lane: runtime, env: staging }", "{ lane: runtime, env: staging, region: us-east1 }", StringComparison.Ordinal)
            .Replace("lane: runtime, env: staging, timeout:", "lane: runtime, env: staging, region: us-east1, timeout:", StringComparison.Ordinal)); // the smoke binary's command check
        var faulty = $"regions-{order}-faulty.yaml";
        var fault = order == "sequential" ? "FAULT_5XX_PERCENT: \"50\"" : "FAULT_MIGRATE_EXIT: \"3\"";
        File.WriteAllText(Path.Combine(Example.Dir, faulty), File.ReadAllText(Path.Combine(Example.Dir, file)).Replace(Target(""), Target($", env: {{ {fault} }}"), StringComparison.Ordinal));
        return (file, faulty);
    }

    private static async Task<int> StatusCodeAsync(int port)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/api/v1/runtime/status"));
        return (int)response.StatusCode;
    }

    /// <summary>Waits (bounded: 60 s) until <c>rollout status</c>, naming no region, shows a rollout <paramref name="shown"/>.</summary>
    private async Task RolloutShownAsync(string file, string shown, CliProcess driving)
    {
        var last = "";
        for (var i = 0; i < 300; i++)
        {
            last = Example.Cli("--file", file, "rollout", "status", Lane, "--env", "staging").Out;
            if (last.Contains($": {shown} at ", StringComparison.Ordinal))
            {
                return;
            }

            if (driving.HasExited)
            {
                break;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the rollout never showed '{shown}':\n{last}\n{driving.Out}\n{driving.Err}");
    }

    private List<string> Revisions(string file, string region)
    {
        var run = Example.Cli("--file", file, "status", Lane, "--env", "staging", "--region", region, "--output", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var service = JsonDocument.Parse(run.Out).RootElement.GetProperty("services").EnumerateArray().Single();
        Assert.Equal(region, service.GetProperty("region").GetString());
        return [.. service.GetProperty("revisions").EnumerateArray().Select(r => r.GetProperty("name").GetString()!)];
    }

}
