using System.Diagnostics;
using System.Text.Json;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>The CLI on the local platform, end to end: real agent process, real services, real state.</summary>
public sealed class LocalPlatformTests : ExampleTest
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task DeployToStaging_RunsTheMigration_GivesTheRevisionAllTraffic_AndWritesAReceipt()
    {
        var run = Example.Cli("deploy", "runtime", "--env", "staging", "--tag", "t1");

        Assert.True(run.ExitCode == 0, run.ToString());
        var revision = Service("runtime", "staging").GetProperty("latest_ready_revision").GetString()!;
        var body = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{Example.Ports["runtime-staging"]}/api/v1/runtime/status"));
        Assert.Contains(revision, body, StringComparison.Ordinal);
        Assert.Contains("\"schema_version\":\"3\"", body, StringComparison.Ordinal);
        var receipt = JsonDocument.Parse(File.ReadAllText(Path.Combine(Example.Dir, run.Out.Split("receipt: ")[1].Trim()))).RootElement;
        Assert.Equal("succeeded", receipt.GetProperty("result").GetString());
        Assert.Equal("runtime-staging", receipt.GetProperty("service").GetString());
        Assert.Equal("runtime-migrate-staging", receipt.GetProperty("migrate_job").GetString());
        Assert.Equal(receipt.GetProperty("image").GetString(), receipt.GetProperty("deployed_image").GetString());
        Assert.Equal("none", receipt.GetProperty("drift").GetString());
        // The fixture deployed staging before, so the receipt names where a rollback would go.
        Assert.StartsWith("runtime-staging-", receipt.GetProperty("rollback_to").GetString(), StringComparison.Ordinal);
        Assert.NotEqual(revision, receipt.GetProperty("rollback_to").GetString());
    }

    [Fact]
    public async Task DeployToProduction_TakesNoTraffic_UntilTrafficMovesIt_AndRollbackReturns()
    {
        var first = Example.Cli("deploy", "openagents-control-service", "--env", "production", "--tag", "t1");
        Assert.True(first.ExitCode == 0, first.ToString());
        var firstRevision = Service("openagents-control-service", "production").GetProperty("latest_created_revision").GetString()!;
        Assert.Equal(0, Service("openagents-control-service", "production").GetProperty("traffic").GetArrayLength());
        Assert.Equal(0, Example.Cli("traffic", "openagents-control-service", "--env", "production", "--to", $"{firstRevision}=100").ExitCode);

        var second = Example.Cli("deploy", "openagents-control-service", "--env", "production", "--tag", "t1");
        Assert.True(second.ExitCode == 0, second.ToString());
        var secondRevision = Service("openagents-control-service", "production").GetProperty("latest_created_revision").GetString()!;
        var url = new Uri($"http://127.0.0.1:{Example.Ports["openagents-control-service"]}/api/v1/control/status");
        Assert.Contains(firstRevision, await Http.GetStringAsync(url), StringComparison.Ordinal);

        Assert.Equal(0, Example.Cli("traffic", "openagents-control-service", "--env", "production", "--to", $"{firstRevision}=50,{secondRevision}=50").ExitCode);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 10; i++)
        {
            seen.Add((await Http.GetStringAsync(url)).Contains(firstRevision, StringComparison.Ordinal) ? firstRevision : secondRevision);
        }

        Assert.Equal(2, seen.Count);
        var rollback = Example.Cli("rollback", "openagents-control-service", "--env", "production");
        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        Assert.Contains($"{firstRevision}=100", rollback.Out, StringComparison.Ordinal);
        Assert.Contains(firstRevision, await Http.GetStringAsync(url), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollback_AfterADeployThatTookAllTraffic_ReturnsToTheRevisionBefore_AndASecondChangesNothing()
    {
        // Every answer but the probes is 500: the smoke checks (probes only) pass, and staging gives it all traffic.
        var erring = Example.Variant("runtime-500.yaml", "staging: { service: runtime-staging,", "staging: { env: { FAULT_5XX_PERCENT: \"100\" }, service: runtime-staging,");
        Assert.Equal(0, Example.Cli("deploy", "runtime", "--env", "staging", "--tag", "t1").ExitCode);
        var good = Service("runtime", "staging").GetProperty("latest_ready_revision").GetString()!;
        var bad = Example.Cli("--file", erring, "deploy", "runtime", "--env", "staging", "--tag", "t1");
        Assert.True(bad.ExitCode == 0, bad.ToString());
        var url = new Uri($"http://127.0.0.1:{Example.Ports["runtime-staging"]}/api/v1/runtime/status");
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, (await Http.GetAsync(url)).StatusCode);

        // The plan of a rollback names where it would go, as this folder's state records it.
        var plan = Example.Cli("plan", "runtime", "--env", "staging", "--action", "rollback", "--format", "shell");
        Assert.Contains($"# {good} is the stable revision this folder's state records", plan.Out, StringComparison.Ordinal);
        Assert.Contains($"set traffic of runtime-staging: {good} 100%", plan.Out, StringComparison.Ordinal);

        var rollback = Example.Cli("rollback", "runtime", "--env", "staging");
        var again = Example.Cli("rollback", "runtime", "--env", "staging");

        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        Assert.Contains($"{good}=100", rollback.Out, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await Http.GetAsync(url)).StatusCode);
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains($"{good}, the stable revision, already serves all traffic of runtime-staging: nothing to roll back; name another with --to (revisions that can: ", again.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, Example.Cli("audit", "verify").ExitCode);
    }

    [Fact]
    public void MigrationFailure_StopsTheDeployWithTheJobsExitCode_AndTrafficStays()
    {
        Assert.Equal(0, Example.Cli("deploy", "runtime", "--env", "staging", "--tag", "t1").ExitCode);
        var before = Service("runtime", "staging").GetProperty("traffic").ToString();

        var run = Example.Cli("--file", "faulty.yaml", "deploy", "runtime", "--env", "staging", "--tag", "t1");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("migration job runtime-migrate-staging failed", run.Err, StringComparison.Ordinal);
        Assert.Contains("logs: ", run.Err, StringComparison.Ordinal);
        Assert.Equal(before, Service("runtime", "staging").GetProperty("traffic").ToString());
    }

    [Fact]
    public void MigrateRerun_RunsTheServicesCurrentImage()
    {
        Assert.Equal(0, Example.Cli("deploy", "runtime", "--env", "staging", "--tag", "t1").ExitCode);

        var run = Example.Cli("migrate", "runtime", "--env", "staging", "--rerun");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("read the current image of runtime-staging … ok (local://runtime@sha256:", run.Out, StringComparison.Ordinal);
        Assert.Contains("execute migration job runtime-migrate-staging and wait for it … ok", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "deploy", "nope", "--env", "staging", "--tag", "t1" }, 2, "unknown lane 'nope'")]
    [InlineData(new[] { "deploy", "runtime", "--env", "qa", "--tag", "t1" }, 2, "no target for environment 'qa'")]
    [InlineData(new[] { "deploy", "runtime", "--env", "staging", "--tag", "missing" }, 2, "build it first: deploymatrix build runtime --tag missing")]
    [InlineData(new[] { "traffic", "runtime", "--env", "staging", "--to", "a=60,b=30" }, 2, "sum to 100")]
    [InlineData(new[] { "traffic", "runtime", "--env", "staging", "--to", "a=sixty" }, 2, "not REV=PCT")]
    [InlineData(new[] { "traffic", "runtime", "--env", "staging", "--to", "runtime-staging-99999-zzz=100" }, 2, "unknown revision")]
    [InlineData(new[] { "deploy", "openagents-web", "--env", "staging", "--tag", "t1" }, 78, "frozen legacy lane")]
    public void BadInput_IsOneLineWithTheFix_AndChangesNothing(string[] args, int exitCode, string message)
    {
        Assert.Equal(0, Example.Cli("deploy", "runtime", "--env", "staging", "--tag", "t1").ExitCode);
        var before = Snapshot(Service("runtime", "staging"));

        var run = Example.Cli(args);

        Assert.Equal(exitCode, run.ExitCode);
        Assert.Contains(message, run.ErrLines.Last(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Err, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(Service("runtime", "staging")));
    }

    [Fact]
    public void CloudRunTarget_WithoutUsableCredentials_StopsBeforeAnythingChanges()
    {
        var history = Example.Cli("history").Out;
        var environment = new Dictionary<string, string> { ["GOOGLE_APPLICATION_CREDENTIALS"] = Path.Combine(Example.Dir, "no-such-key.json") };

        var run = CliRun.Invoke(Example.Dir, environment, "deploy", "runtime", "--env", "staging", "--tag", "t1");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no usable Google credentials", Assert.Single(run.ErrLines), StringComparison.Ordinal);
        Assert.Equal(history, Example.Cli("history").Out);
    }

    [Fact]
    public async Task ConcurrentMutation_WaitsForTheLock_OrFailsNamingTheHolder()
    {
        using var holder = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(Example.Dir, ".deploymatrix", "state.db")};Pooling=false"))
        {
            db.Open();
            using var insert = db.CreateCommand();
            insert.CommandText = "INSERT OR REPLACE INTO locks (scope, holder, pid, acquired_at) VALUES ('runtime/staging', 'alice deploy runtime --env staging', $p, 'now')";
            insert.Parameters.AddWithValue("$p", holder.Id);
            insert.ExecuteNonQuery();
        }

        var refused = Example.Cli("--lock-wait", "1", "deploy", "runtime", "--env", "staging", "--tag", "t1");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is locked by alice deploy runtime --env staging", refused.Err, StringComparison.Ordinal);

        var waiter = Task.Run(() => Example.Cli("--lock-wait", "30", "deploy", "runtime", "--env", "staging", "--tag", "t1"));
        await Task.Delay(1000);
        Assert.False(waiter.IsCompleted);
        holder.Kill();
        await holder.WaitForExitAsync();
        var waited = await waiter;
        Assert.True(waited.ExitCode == 0, waited.ToString());
    }

    [Fact]
    public void Status_WhenARevisionWithTrafficCannotRun_NamesIt_AndExits1()
    {
        // As a workspace copied elsewhere without its artifacts: the agent cannot launch what it serves.
        Assert.Equal(0, Example.Cli("agent", "stop").ExitCode);
        var artifacts = Path.Combine(Example.Dir, ".deploymatrix", "artifacts");
        Directory.Move(artifacts, artifacts + ".gone");
        var restart = Example.Cli("agent", "start");

        var status = Example.Cli("status", "runtime", "--env", "staging");
        var json = OutputSchemas.AssertValid("status", Example.Cli("status", "runtime", "--env", "staging", "--output", "json"));
        var revision = json.GetProperty("services")[0].GetProperty("traffic")[0].GetProperty("revision").GetString()!;

        Assert.True(status.ExitCode == 1, $"{restart}\n{status}");
        var fault = Assert.Single(status.ErrLines);
        var expected = $"deploymatrix: runtime-staging (staging): revision {revision} has 100% of runtime-staging's traffic and cannot serve it: failed (refused to launch: the stored artifact of sha256:";
        Assert.True(fault.StartsWith(expected, StringComparison.Ordinal), $"{fault}\n{status}");
        Assert.Single(json.GetProperty("services")[0].GetProperty("faults").EnumerateArray());
    }

    [Fact]
    public async Task AgentKilledWithSigkill_RestartsEveryRevisionWithTheExactSplit()
    {
        Assert.Equal(0, Example.Cli("deploy", "openagents-control-service", "--env", "staging", "--tag", "t1").ExitCode);
        Assert.Equal(0, Example.Cli("deploy", "openagents-control-service", "--env", "staging", "--tag", "t1", "--no-traffic").ExitCode);
        var service = Service("openagents-control-service", "staging");
        var newest = service.GetProperty("latest_created_revision").GetString()!;
        var serving = service.GetProperty("traffic")[0].GetProperty("revision").GetString()!;
        Assert.Equal(0, Example.Cli("traffic", "openagents-control-service", "--env", "staging", "--to", $"{serving}=70,{newest}=30").ExitCode);

        var pid = int.Parse(File.ReadAllText(Path.Combine(Example.Dir, ".deploymatrix", "agent.pid")), System.Globalization.CultureInfo.InvariantCulture);
        Process.GetProcessById(pid).Kill();
        await Task.Delay(300);
        var restart = Example.Cli("agent", "start");
        Assert.True(restart.ExitCode == 0, restart.ToString());

        var url = new Uri($"http://127.0.0.1:{Example.Ports["openagents-control-service-staging"]}/api/v1/control/status");
        var newestCount = 0;
        for (var i = 0; i < 200; i++)
        {
            newestCount += (await Http.GetStringAsync(url)).Contains(newest, StringComparison.Ordinal) ? 1 : 0;
        }

        Assert.Equal(60, newestCount);
    }

    [Fact]
    public async Task ServedBinaryLane_DeploysLikeAService_RunningItsServeCommand()
    {
        var run = Example.Cli("deploy", "lightning-wallet-executor", "--env", "staging", "--tag", "t1");

        Assert.True(run.ExitCode == 0, run.ToString());
        var body = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{Example.Ports["lightning-wallet-executor-staging"]}/status"));
        Assert.Contains("\"service\":\"lightning-wallet-executor-staging\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryReceipt_FollowsTheDocumentedSchema()
    {
        Assert.Equal(0, Example.Cli("deploy", "runtime", "--env", "staging", "--tag", "t1").ExitCode);
        var schema = Json.Schema.JsonSchema.FromText(File.ReadAllText(Path.Combine(DeployMatrix.Tests.Support.RepoPaths.Root, "schema", "receipt.schema.json")));

        var receipts = Directory.GetFiles(Path.Combine(Example.Dir, ".deploymatrix", "receipts"), "*.json");

        Assert.NotEmpty(receipts);
        foreach (var receipt in receipts)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(receipt));
            var result = schema.Evaluate(document.RootElement, new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });
            Assert.True(result.IsValid, $"{Path.GetFileName(receipt)}: {string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} {e.Value}")))}");
        }
    }

    [Fact]
    public void EveryMutation_IsInTheAuditLog_AndTheChainVerifies()
    {
        Assert.Equal(0, Example.Cli("deploy", "runtime", "--env", "staging", "--tag", "t1").ExitCode);

        var history = Example.Cli("history", "runtime");
        var verify = Example.Cli("audit", "verify");

        Assert.Contains("build runtime: succeeded", history.Out, StringComparison.Ordinal);
        Assert.Contains("deploy runtime (staging): succeeded", history.Out, StringComparison.Ordinal);
        Assert.Contains("receipt .deploymatrix/receipts/", history.Out, StringComparison.Ordinal);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.StartsWith("audit log intact:", verify.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_ShowsRevisionsTrafficAndLatestRevisions()
    {
        Assert.Equal(0, Example.Cli("deploy", "runtime", "--env", "staging", "--tag", "t1").ExitCode);

        var run = Example.Cli("status", "runtime", "--env", "staging");

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("runtime-staging (runtime, staging) on http://127.0.0.1:", run.Out, StringComparison.Ordinal);
        Assert.Contains("latest created: runtime-staging-", run.Out, StringComparison.Ordinal);
        Assert.Contains("100%  ready  local://runtime@sha256:", run.Out, StringComparison.Ordinal);
    }

    /// <summary>What a bad command must not change: the split and the set of revisions (a drain may still finish meanwhile).</summary>
    private static string Snapshot(JsonElement service) =>
        service.GetProperty("traffic").ToString() + string.Join(",", service.GetProperty("revisions").EnumerateArray().Select(r => r.GetProperty("name").GetString()));

    private JsonElement Service(string lane, string env)
    {
        var run = Example.Cli("status", lane, "--env", env, "--output", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("services")[0].Clone();
    }
}
