using System.Text.Json;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>The release gate against the example's real staging services, and the promotion rule.</summary>
public sealed class GateTests : ExampleTest
{
    private const string Smoke = "path: /api/v1/control/status, contains: '\"status\"' }";

    [Fact]
    public void AllRequiredChecksPass_IsGo_WithEvidenceInTheSeedsShape()
    {
        var run = Example.Cli("gate", "--tag", "t1");

        Assert.True(run.ExitCode == 0, run.ToString());
        var evidence = Evidence(run);
        var tsv = File.ReadAllLines(Path.Combine(evidence, "results.tsv"));
        Assert.Equal("check_id\trequired\tstatus\tdescription\tlog_path\tcommand", tsv[0]);
        Assert.Equal(19, tsv.Length);
        Assert.Contains(tsv, l => l.StartsWith("serves-tag-runtime\ttrue\tpassed\t", StringComparison.Ordinal));
        Assert.Contains(tsv, l => l.StartsWith("runtime-migration-drift\ttrue\tpassed\t", StringComparison.Ordinal));
        Assert.Contains(tsv, l => l.StartsWith("runtime-canary-status\ttrue\tpassed\t", StringComparison.Ordinal));
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(evidence, "results.json"))).RootElement;
        Assert.Equal("go", json.GetProperty("decision").GetString());
        Assert.True(File.Exists(Path.Combine(evidence, "SUMMARY.md")));
        Assert.True(File.Exists(Path.Combine(evidence, "logs", "control-manifest-cache.log")));
        Assert.Contains("cache-control: no-cache", File.ReadAllText(Path.Combine(evidence, "logs", "control-manifest-cache.log")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void OneRequiredFailure_IsNoGo()
    {
        var file = Example.Variant("gate-fail.yaml", Smoke, "path: /api/v1/control/status, contains: 'no such text' }");

        var run = Example.Cli("--file", file, "gate", "--tag", "t1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("✗ control-staging-smoke", run.Out, StringComparison.Ordinal);
        Assert.Contains("NO-GO", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void RequiredCheckThatCannotRun_IsSkipped_AndSkippingIsNoGo()
    {
        var file = Example.Variant("gate-skip.yaml", Smoke, "path: /api/v1/control/status, token-env: DM_GATE_TOKEN_THAT_IS_NOT_SET }");

        var run = Example.Cli("--file", file, "gate", "--tag", "t1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("- control-staging-smoke        required skipped environment variable DM_GATE_TOKEN_THAT_IS_NOT_SET", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionalFailure_IsReported_ButStillGo_AndBudgetsFailOnBytes()
    {
        var file = Example.Variant("gate-optional.yaml",
            "budget: { lane: openagents-control-service, env: staging, path: /, max-bytes: 12000, max-ttfb: 500ms }",
            "required: false\n      budget: { lane: openagents-control-service, env: staging, path: /, max-bytes: 100, max-ttfb: 500ms }");

        var run = Example.Cli("--file", file, "gate", "--tag", "t1");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("✗ control-perf-budget          optional failed  / is 209 bytes, over the budget of 100", run.Out, StringComparison.Ordinal);
        Assert.Contains("GO:", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("slow", new[] { 0, 300, 20, 300 }, 1, "over the budget of 200 ms")] // median ≥ 300 ms of 3 samples: over the budget
    [InlineData("stall", new[] { 0, 20, 900, 20 }, 0, "first byte after ")] // one stall among 3 samples: the median holds
    public async Task BudgetOnTimeToFirstByte_JudgesTheMedianOfTheSamples(string name, int[] delaysMs, int exitCode, string expected)
    {
        // A server on loopback answering each connection after its delay: the untimed warm-up, then the samples.
        using var slow = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        slow.Start();
        var port = ((System.Net.IPEndPoint)slow.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            foreach (var delay in delaysMs)
            {
                using var client = await slow.AcceptTcpClientAsync();
                var stream = client.GetStream();
                _ = await stream.ReadAsync(new byte[4096]); // the request; its content does not matter
                await Task.Delay(delay);
                await stream.WriteAsync("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"u8.ToArray());
            }
        });
        var file = Example.Variant($"gate-{name}.yaml",
            "budget: { lane: openagents-control-service, env: staging, path: /, max-bytes: 12000, max-ttfb: 500ms }",
            $"budget: {{ url: 'http://127.0.0.1:{port}/', max-bytes: 12000, max-ttfb: 200ms, samples: {delaysMs.Length - 1} }}");

        var run = Example.Cli("--file", file, "gate", "--tag", "t1");
        await server;

        Assert.True(run.ExitCode == exitCode, run.ToString());
        var line = run.Out.Split('\n').Single(l => l.Contains("control-perf-budget", StringComparison.Ordinal));
        Assert.True(line.Contains(expected, StringComparison.Ordinal), run.ToString());
        Assert.Contains("median of 3", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AStagingSplit_IsANoGo_NamingWhatServes_AndAVerdictNamesTheRevisionAndDigestItSaw()
    {
        const string Control = "openagents-control-service";
        var first = Revision(Control);
        Assert.Equal(0, Example.Cli("deploy", Control, "--env", "staging", "--tag", "t1").ExitCode);
        var second = Revision(Control);
        Assert.Equal(0, Example.Cli("traffic", Control, "--env", "staging", "--to", $"{first}=95,{second}=5").ExitCode);

        var split = Example.Cli("gate", "--tag", "t1");
        Assert.Equal(0, Example.Cli("traffic", Control, "--env", "staging", "--to", $"{second}=100").ExitCode);
        var whole = Example.Cli("gate", "--tag", "t1");

        Assert.Equal(1, split.ExitCode);
        Assert.Contains($"✗ serves-tag-{Control} required failed  {Control}-staging (staging) splits traffic {first} (tag t1, sha256:", split.Out, StringComparison.Ordinal);
        Assert.Contains("=95%, " + second + " (tag t1, sha256:", split.Out, StringComparison.Ordinal);
        Assert.Contains("the gate approves only a release serving 100%", split.Out, StringComparison.Ordinal);
        Assert.True(whole.ExitCode == 0, whole.ToString());
        var releases = JsonDocument.Parse(File.ReadAllText(Path.Combine(Evidence(whole), "results.json"))).RootElement.GetProperty("releases");
        var control = releases.EnumerateArray().Single(r => r.GetProperty("lane").GetString() == Control);
        Assert.Equal(second, control.GetProperty("revision").GetString());
        Assert.StartsWith("sha256:", control.GetProperty("digest").GetString(), StringComparison.Ordinal);
        Assert.Contains($"| {Control} | `{second}` | `sha256:", File.ReadAllText(Path.Combine(Evidence(whole), "SUMMARY.md")), StringComparison.Ordinal);
        Assert.Equal(0, Example.Cli("audit", "verify").ExitCode);
    }

    private string Revision(string lane)
    {
        var status = Example.Cli("status", lane, "--env", "staging", "--output", "json");
        return JsonDocument.Parse(status.Out).RootElement.GetProperty("services")[0].GetProperty("latest_created_revision").GetString()!;
    }

    [Fact]
    public void ProductionDeploy_WithoutAPassingGate_IsRefused_AndAnOverrideIsRecorded()
    {
        Assert.Equal(1, Example.Cli("--file", Example.Variant("gate-fail2.yaml", Smoke, "path: /nope, contains: x }"), "gate", "--tag", "t1-unchecked").ExitCode);

        var refused = Example.Cli("deploy", "runtime", "--env", "production", "--tag", "t1-unchecked");
        var never = Example.Cli("deploy", "runtime", "--env", "production", "--tag", "t1-never-gated");
        Assert.Equal(0, Example.Cli("build", "runtime", "--tag", "t2-hotfix").ExitCode);
        var overridden = Example.Cli("deploy", "runtime", "--env", "production", "--tag", "t2-hotfix", "--override-gate", "--reason", "hotfix INC-42");
        var noReason = Example.Cli("deploy", "runtime", "--env", "production", "--tag", "t2-hotfix", "--override-gate");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("failed the gate", refused.Err, StringComparison.Ordinal);
        Assert.Contains("run: deploymatrix gate --from staging --to production --tag t1-unchecked", refused.Err, StringComparison.Ordinal);
        Assert.Equal(1, never.ExitCode);
        Assert.Contains("has not been through the gate", never.Err, StringComparison.Ordinal);
        Assert.True(overridden.ExitCode == 0, overridden.ToString());
        Assert.Equal(2, noReason.ExitCode);
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(Example.Dir, ".deploymatrix", "state.db")};Pooling=false");
        db.Open();
        using var query = db.CreateCommand();
        query.CommandText = "SELECT detail FROM journal WHERE action = 'gate-override' ORDER BY id DESC LIMIT 1";
        Assert.Equal("tag t2-hotfix: hotfix INC-42", query.ExecuteScalar());
    }

    [Fact]
    public void Rollout_OfAnUngatedCanary_IsRefused()
    {
        Assert.Equal(0, Example.Cli("build", "runtime", "--tag", "t3-ungated").ExitCode);
        Assert.Equal(0, Example.Cli("deploy", "runtime", "--env", "production", "--tag", "t3-ungated", "--no-traffic", "--override-gate", "--reason", "test setup").ExitCode);

        var run = Example.Cli("rollout", "runtime", "--env", "production", "--window", "1s");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("tag t3-ungated has not been through the gate", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void ProductionDeploy_OfAGatedTag_IsAllowed()
    {
        var run = Example.Cli("deploy", "openagents-control-service", "--env", "production", "--tag", "t1");

        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Fact]
    public void BearerToken_NeverAppearsInEvidenceStateOrOutput()
    {
        const string Secret = "canary-secret-7f3a9c1e5b";
        Environment.SetEnvironmentVariable("DM_GATE_TEST_TOKEN", Secret);
        try
        {
            var file = Example.Variant("gate-token.yaml", Smoke, "path: /api/v1/control/status, token-env: DM_GATE_TEST_TOKEN }");

            var run = Example.Cli("--file", file, "gate", "--tag", "t1");
            var deploy = Example.Cli("--file", file, "deploy", "runtime", "--env", "staging", "--tag", "t1");

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.True(deploy.ExitCode == 0, deploy.ToString());
            Assert.DoesNotContain(Secret, run.Out + run.Err + deploy.Out + deploy.Err, StringComparison.Ordinal);
            foreach (var path in Directory.GetFiles(Path.Combine(Example.Dir, ".deploymatrix"), "*", SearchOption.AllDirectories).Where(p => !p.Contains("/artifacts/", StringComparison.Ordinal)))
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream);
                Assert.DoesNotContain(Secret, reader.ReadToEnd(), StringComparison.Ordinal);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("DM_GATE_TEST_TOKEN", null);
        }
    }

    private string Evidence(CliRun run)
    {
        var line = run.Out.Split('\n').Single(l => l.Contains(": evidence in ", StringComparison.Ordinal));
        return Path.Combine(Example.Dir, line[(line.IndexOf("evidence in ", StringComparison.Ordinal) + "evidence in ".Length)..].Trim());
    }
}
