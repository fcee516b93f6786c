using System.Text.Json;
using System.Text.RegularExpressions;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>
/// The example's production verify of the control service (its cargo tests and the perf-budget check), end to end
/// on the local platform: a failure stops the deploy before anything changes; only --skip-verify --reason passes it,
/// audited; and every deploy's report says what its receipt says.
/// </summary>
public sealed partial class VerifyTests : ExampleTest
{
    private const string Lane = "openagents-control-service";
    private const string Tests = "cargo test --manifest-path apps/openagents.com/service/Cargo.toml";

    [Fact]
    public void FailingVerify_StopsTheProductionDeploy_BeforeAnythingChanges_AndShowsTheLogsTail()
    {
        File.WriteAllText(Path.Combine(Example.Dir, "failing-tests.sh"), "echo 'running 3 tests'\necho 'test wasm_build ... FAILED'\nexit 101\n");
        var file = Example.Variant("verify-fails.yaml", Tests, "sh failing-tests.sh");
        Ok(Example.Cli("deploy", Lane, "--env", "production", "--tag", "t1", "--skip-verify", "--reason", "first production revision"));
        var before = Status("production");
        var receiptsBefore = Receipts("production");

        var run = Example.Cli("--file", file, "deploy", Lane, "--env", "production", "--tag", "t1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("verify control-tests failed: 'sh failing-tests.sh' exited with 101", run.Err + run.Out, StringComparison.Ordinal);
        Assert.Contains("FAILED\n  | $ sh failing-tests.sh\n  |   running 3 tests\n  |   test wasm_build ... FAILED\n", run.Out, StringComparison.Ordinal); // the log's tail, under the step
        Assert.DoesNotContain("deploy local://", run.Out, StringComparison.Ordinal); // the deploy step never started
        Assert.Equal(before, Status("production"));
        Assert.Equal(receiptsBefore, Receipts("production"));
    }

    [Fact]
    public void SkipVerify_WithoutReason_IsExit2_AndWithOne_DeploysAndIsAudited()
    {
        var refused = Example.Cli("deploy", Lane, "--env", "production", "--tag", "t1", "--skip-verify");
        var skipped = Ok(Example.Cli("deploy", Lane, "--env", "production", "--tag", "t1", "--skip-verify", "--reason", "hotfix INC-42"));

        Assert.Equal(2, refused.ExitCode);
        Assert.Equal("deploymatrix: --skip-verify needs --reason \"why\"; skipping the verify checks is audited and shown in the receipt", refused.Err.Trim());
        Assert.Single(Receipts("production"), r => r.EndsWith("-deploy.json", StringComparison.Ordinal)); // the refused one wrote none
        var history = Ok(Example.Cli("history", Lane)).Out;
        var line = Assert.Single(history.Split('\n'), l => l.Contains("skip-verify", StringComparison.Ordinal));
        Assert.Contains(Environment.UserName, line, StringComparison.Ordinal);
        Assert.Contains("hotfix INC-42", line, StringComparison.Ordinal);
        var receipt = ReceiptOf(skipped);
        Assert.Equal("skipped", receipt.GetProperty("verify").GetString());
        Assert.Equal("hotfix INC-42", receipt.GetProperty("verify_skip_reason").GetString());
        Assert.Equal(Environment.UserName, receipt.GetProperty("verify_skipped_by").GetString());
        Assert.Equal("control-tests=skipped,control-perf-budget=skipped", receipt.GetProperty("verify_checks").GetString());
    }

    [Fact]
    public void DeployReport_SaysWhatItsReceiptSays()
    {
        // Production first served by t1, so the second deploy has a stable revision to name.
        Ok(Example.Cli("deploy", Lane, "--env", "production", "--tag", "t1"));
        Ok(Example.Cli("traffic", Lane, "--env", "production", "--to", "LATEST=100"));
        var verified = Ok(Example.Cli("deploy", Lane, "--env", "production", "--tag", "t1"));
        var staging = Ok(Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t1"));

        foreach (var run in new[] { verified, staging })
        {
            var receiptPath = ReceiptPath(run);
            var receipt = JsonDocument.Parse(File.ReadAllText(receiptPath)).RootElement;
            var report = File.ReadAllText(receiptPath[..^".json".Length] + "-report.md");
            var fields = ReportFields(report);

            Assert.Equal(Field(receipt, "tag"), fields["Tag"]);
            Assert.Equal(Field(receipt, "image"), fields["Image"]);
            Assert.Equal(Field(receipt, "digest"), fields["Digest"]);
            Assert.Equal(Field(receipt, "revision"), fields["Revision"]);
            Assert.Equal(Field(receipt, "traffic_before"), fields["Traffic before"]);
            Assert.Equal(Field(receipt, "traffic_after") ?? "unchanged (this deploy moved no traffic)", fields["Traffic after"]);
            Assert.Equal(Field(receipt, "rollback_to"), fields["Stable revision"]);
            Assert.Contains($"`{Field(receipt, "rollback_command")}`", report, StringComparison.Ordinal);
            // Staging names a domain (not served on the local platform): the report shows it as the receipt has it.
            Assert.Equal(run == staging ? ["staging.openagents.com", "not applicable: the local platform has no domain mappings; staging.openagents.com is not served here", "service URL"] : [null, null, null],
                new[] { Field(receipt, "domain"), Field(receipt, "domain_status"), Field(receipt, "smoke_via") });
            Assert.Equal(Field(receipt, "domain"), fields.GetValueOrDefault("Domain"));
            Assert.Equal(Field(receipt, "domain_status"), fields.GetValueOrDefault("Domain status"));
            Assert.Equal(Field(receipt, "smoke_via"), fields.GetValueOrDefault("Smoke checks via"));
            Assert.Equal($"deploymatrix rollback {Lane} --env {Field(receipt, "environment")} --to {Field(receipt, "rollback_to")}", Field(receipt, "rollback_command"));
            var smoke = receipt.GetProperty("smoke").EnumerateArray().ToList();
            // Staging names a domain: once a deploy moves traffic, its smoke checks run again on the service's address.
            Assert.Equal(run == staging ? 6 : 3, smoke.Count);
            foreach (var answer in smoke)
            {
                Assert.Contains($"| {answer.GetProperty("request").GetString()} | {answer.GetProperty("expect").GetInt32()} | {answer.GetProperty("status").GetInt32()} |", report, StringComparison.Ordinal);
            }
        }

        var production = JsonDocument.Parse(File.ReadAllText(ReceiptPath(verified))).RootElement;
        Assert.Equal("passed", Field(production, "verify"));
        Assert.Equal("control-tests=passed,control-perf-budget=passed", Field(production, "verify_checks"));
        Assert.Contains("- Verify: passed (control-tests=passed,control-perf-budget=passed)", File.ReadAllText(ReceiptPath(verified)[..^".json".Length] + "-report.md"), StringComparison.Ordinal);
        Assert.Null(Field(JsonDocument.Parse(File.ReadAllText(ReceiptPath(staging))).RootElement, "verify")); // staging has no verify
    }

    /// <summary>The report's <c>- Name: `value`</c> lines, values unwrapped from their code spans.</summary>
    private static Dictionary<string, string> ReportFields(string report) =>
        ReportLine().Matches(report).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["code"].Success ? m.Groups["code"].Value : m.Groups["text"].Value);

    private static string? Field(JsonElement receipt, string name) =>
        receipt.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private string Status(string env) => Ok(Example.Cli("status", Lane, "--env", env, "--output", "json")).Out;

    private string[] Receipts(string env)
    {
        var dir = Path.Combine(Example.Dir, ".deploymatrix", "receipts");
        return Directory.Exists(dir) ? [.. Directory.GetFiles(dir, $"*{Lane}-{env}-*").Order(StringComparer.Ordinal)] : [];
    }

    private string ReceiptPath(CliRun run) =>
        Path.Combine(Example.Dir, run.Out.Split('\n').Single(l => l.StartsWith("receipt: ", StringComparison.Ordinal))["receipt: ".Length..].Trim());

    private JsonElement ReceiptOf(CliRun run) => JsonDocument.Parse(File.ReadAllText(ReceiptPath(run))).RootElement;

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    [GeneratedRegex(@"^- (?<name>[A-Z][a-z ]+): (`(?<code>[^`]*)`|(?<text>.+))$", RegexOptions.Multiline)]
    private static partial Regex ReportLine();
}
