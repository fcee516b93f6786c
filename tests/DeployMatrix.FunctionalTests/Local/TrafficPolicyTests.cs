using System.Text.Json;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>
/// On the local platform, end to end: what each target's traffic policy does after a deploy's checks (the
/// example's runtime production takes all traffic as upstream does, its staging once checked, its control service
/// production none and rolls out),
/// and a lane that skips staging — refused there by name, promoted to production on the tag's GO.
/// </summary>
public sealed class TrafficPolicyTests : ExampleTest
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task ADirectTarget_TakesAllTrafficAsItsRevisionIsCreated_ThenIsMigratedAndChecked_AsUpstreamDeploys()
    {
        var run = Example.Cli("deploy", "runtime", "--env", "production", "--tag", "t1");

        Assert.True(run.ExitCode == 0, run.ToString());
        var revision = Service("runtime", "production").GetProperty("latest_ready_revision").GetString()!;
        Assert.Equal($"{revision}=100", Traffic("runtime", "production"));
        Assert.Contains(revision, await Http.GetStringAsync(new Uri($"http://127.0.0.1:{Example.Ports["runtime"]}/api/v1/runtime/status")), StringComparison.Ordinal);
        // The traffic came with the deploy step itself, before the migration and checks; no tag, no traffic step at all.
        var order = new[] { "as a new revision of runtime (production, local) taking all traffic", "execute migration job runtime-migrate", "check drift", "smoke check GET /readyz on runtime" }
            .Select(step => run.Out.IndexOf(step, StringComparison.Ordinal)).ToList();
        Assert.True(order.All(i => i >= 0) && order.SequenceEqual(order.Order()), run.Out);
        Assert.DoesNotContain("set traffic", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("dm-t1", run.Out, StringComparison.Ordinal);
        Assert.Contains("note: traffic: direct", run.Out, StringComparison.Ordinal);
        var receipt = ReceiptOf(run);
        Assert.Equal((revision, $"{revision}=100"), (receipt.GetProperty("revision").GetString(), receipt.GetProperty("traffic_after").GetString()));
    }

    /// <summary>
    /// The price of upstream's order: the migration and smoke checks run while the new revision already serves. When
    /// one fails, the deploy fails (a smoke check with 1; a migration with the job's status, the seed's rule), the new
    /// revision keeps all traffic — it took it in the deploy step itself, no later step moved it — and the deploy
    /// names the rollback, which works.
    /// </summary>
    [Theory]
    [InlineData("smoke", "    smoke: [/healthz, /readyz]\n\n  lightning-ops:", "    smoke: [/healthz, /no-such-page]\n\n  lightning-ops:", 1, "GET /no-such-page")]
    [InlineData("migration", "production: { service: runtime,", "production: { env: { FAULT_MIGRATE_EXIT: \"3\" }, service: runtime,", 3, "migration job runtime-migrate failed")]
    public void ADirectDeployWhoseCheckFails_ServedTheNewRevisionFromItsDeployStep_AndNamesTheRollback(string failing, string find, string replace, int exitCode, string error)
    {
        Assert.Equal(0, Example.Cli("deploy", "runtime", "--env", "production", "--tag", "t1").ExitCode);
        var first = Service("runtime", "production").GetProperty("latest_ready_revision").GetString()!;
        var broken = Example.Variant($"direct-failing-{failing}.yaml", find, replace);

        var run = Example.Cli("--file", broken, "deploy", "runtime", "--env", "production", "--tag", "t1");

        Assert.True(run.ExitCode == exitCode, run.ToString());
        Assert.Contains(error, run.ToString(), StringComparison.Ordinal);
        var second = Service("runtime", "production").GetProperty("latest_ready_revision").GetString()!;
        Assert.NotEqual(first, second);
        Assert.Equal($"{second}=100", Traffic("runtime", "production"));
        Assert.Contains($"revision {second}", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("set traffic", run.Out, StringComparison.Ordinal);
        Assert.Contains("a failed step leaves it serving: roll back with: rollback runtime --env production", run.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, Example.Cli("rollback", "runtime", "--env", "production").ExitCode);
        Assert.Equal($"{first}=100", Traffic("runtime", "production"));
    }

    [Fact]
    public void AnImmediateTarget_TakesAllTraffic_OnlyAfterItsMigrationAndSmokeChecks()
    {
        var run = Example.Cli("deploy", "runtime", "--env", "staging", "--tag", "t1");

        Assert.True(run.ExitCode == 0, run.ToString());
        var revision = Service("runtime", "staging").GetProperty("latest_ready_revision").GetString()!;
        Assert.Equal($"{revision}=100", Traffic("runtime", "staging"));
        var order = new[] { "with no traffic, tagged dm-t1", "execute migration job runtime-migrate-staging", "check drift", "smoke check GET /readyz", "set traffic of runtime-staging: new revision 100%" }
            .Select(step => run.Out.IndexOf(step, StringComparison.Ordinal)).ToList();
        Assert.True(order.All(i => i >= 0) && order.SequenceEqual(order.Order()), run.Out);
    }

    [Fact]
    public void ARolloutTarget_LeavesTrafficWhereItWas_AndSaysHowItGoesOut_WhileItsNeighbourTakesAll()
    {
        var control = Example.Cli("deploy", "openagents-control-service", "--env", "production", "--tag", "t1");
        var runtime = Example.Cli("deploy", "runtime", "--env", "production", "--tag", "t1");

        Assert.True(control.ExitCode == 0, control.ToString());
        Assert.True(runtime.ExitCode == 0, runtime.ToString());
        Assert.Equal("", Traffic("openagents-control-service", "production"));
        Assert.DoesNotContain("set traffic", control.Out, StringComparison.Ordinal);
        Assert.Contains("openagents-control-service goes out in 'production' by rollout (traffic: rollout)", control.Out, StringComparison.Ordinal);
        var revision = Service("runtime", "production").GetProperty("latest_ready_revision").GetString()!;
        Assert.Equal($"{revision}=100", Traffic("runtime", "production"));
    }

    [Fact]
    public void APerTargetPolicy_OverridesTheLanesAndTheEnvironments_AndNoTrafficOverridesThemAll()
    {
        Assert.Equal(0, Example.Cli("deploy", "runtime", "--env", "production", "--tag", "t1").ExitCode);
        var first = Service("runtime", "production").GetProperty("latest_ready_revision").GetString()!;
        var pinned = Example.Variant("pinned.yaml", "port: " + Example.Ports["runtime"] + ", traffic: direct", "port: " + Example.Ports["runtime"] + ", traffic: no-traffic");

        var held = Example.Cli("--file", pinned, "deploy", "runtime", "--env", "production", "--tag", "t1");
        var asked = Example.Cli("deploy", "runtime", "--env", "production", "--tag", "t1", "--no-traffic");

        Assert.True(held.ExitCode == 0, held.ToString());
        Assert.True(asked.ExitCode == 0, asked.ToString());
        Assert.Contains("'production' deploys of runtime take no traffic (traffic: no-traffic)", held.Out, StringComparison.Ordinal);
        Assert.Contains("--no-traffic: this deploy takes no traffic", asked.Out, StringComparison.Ordinal);
        Assert.Equal($"{first}=100", Traffic("runtime", "production"));
        Assert.Equal(3, Service("runtime", "production").GetProperty("revisions").GetArrayLength());
    }

    [Fact]
    public void ALaneWithoutStaging_IsRefusedThereByName_AndReachesProductionOnTheTagsGo_NotOnACheckOfIt()
    {
        var skipping = ExampleVariants.WithoutRuntimeStaging(Example.Dir);
        Assert.Equal(0, Example.Cli("build", "runtime", "--tag", "t2").ExitCode);
        Assert.Equal(0, Example.Cli("build", "openagents-control-service", "--tag", "t2").ExitCode);

        var staging = Example.Cli("--file", skipping, "deploy", "runtime", "--env", "staging", "--tag", "t2");
        var status = Example.Cli("--file", skipping, "status", "runtime", "--env", "staging");
        var ungated = Example.Cli("--file", skipping, "deploy", "runtime", "--env", "production", "--tag", "t2");
        Assert.Equal(0, Example.Cli("--file", skipping, "deploy", "openagents-control-service", "--env", "staging", "--tag", "t2").ExitCode);
        var gate = Example.Cli("--file", skipping, "gate", "--tag", "t2");
        var withStaging = Example.Cli("deploy", "runtime", "--env", "production", "--tag", "t2");
        var promoted = Example.Cli("--file", skipping, "deploy", "runtime", "--env", "production", "--tag", "t2");

        const string Skips = "deploymatrix: lane 'runtime' skips environment 'staging' (it deploys to production)";
        Assert.Equal((2, Skips), (staging.ExitCode, staging.ErrLines.Last()));
        Assert.Equal((2, Skips), (status.ExitCode, status.ErrLines.Last()));
        Assert.Equal(1, ungated.ExitCode);
        Assert.Contains("tag t2 has not been through the gate from staging to production", ungated.Err, StringComparison.Ordinal);
        Assert.True(gate.ExitCode == 0, gate.ToString());
        Assert.DoesNotContain("serves-tag-runtime", gate.Out, StringComparison.Ordinal);
        // The matrix where runtime has a staging target still needs the gate to have checked it there.
        Assert.Equal(1, withStaging.ExitCode);
        Assert.Contains("did not check lane runtime", withStaging.Err, StringComparison.Ordinal);
        Assert.True(promoted.ExitCode == 0, promoted.ToString());
        var revision = Service("runtime", "production").GetProperty("latest_ready_revision").GetString()!;
        Assert.Equal($"{revision}=100", Traffic("runtime", "production"));
    }

    private JsonElement ReceiptOf(CliRun run)
    {
        var path = run.Out.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("receipt: ", StringComparison.Ordinal))["receipt: ".Length..];
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(Example.Dir, path))).RootElement.Clone();
    }

    /// <summary>The split as REV=PCT,…, in the order status gives it.</summary>
    private string Traffic(string lane, string env) =>
        string.Join(",", Service(lane, env).GetProperty("traffic").EnumerateArray().Select(t => $"{t.GetProperty("revision").GetString()}={t.GetProperty("percent").GetInt32()}"));

    private JsonElement Service(string lane, string env)
    {
        var run = Example.Cli("status", lane, "--env", env, "--output", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("services")[0].Clone();
    }
}
