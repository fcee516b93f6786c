using System.Text.Json;
using DeployMatrix.Core;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Tests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Engine.Tests.Gate;

/// <summary>The release gate through the engine: every kind of check against real HTTP, commands and the store, and its evidence.</summary>
public sealed class GateOperationTests : IAsyncLifetime
{
    private const string Token = "s3cret-token-abcdef";
    private static readonly string Matrix = EngineHarness.Matrix.Replace(
        "    - { id: web-health, http: { lane: web, env: staging, path: /healthz } }",
        """
            - { id: web-health, description: web answers, http: { lane: web, env: staging, path: /healthz } }
            - { id: web-status, http: { lane: web, env: staging, path: /status, contains: '"ok"', header: "cache-control: no-cache", token-env: WEB_TOKEN } }
            - { id: web-budget, required: false, budget: { lane: web, env: staging, path: /, max-bytes: 100, max-ttfb: 500ms, samples: 3 } }
            - { id: contract, command: { run: sh -c "echo contract ok", timeout: 5s } }
            - { id: api-drift, drift: { lane: api, env: staging } }
            - { id: api-canary, canary-status: { lane: api, env: production } }
            - { id: legacy-guard, guard: { dir: . } }
        """.Replace("\n        ", "\n", StringComparison.Ordinal).TrimEnd(),
        StringComparison.Ordinal) + "\nlegacy:\n  commands: [{ command: php artisan, why: legacy PHP }]\n";

    private readonly Dictionary<string, string> _env = new() { ["WEB_TOKEN"] = Token };
    private EngineHarness _h = null!;
    private LoopbackService _web = null!;

    public async Task InitializeAsync()
    {
        _h = new EngineHarness(Matrix, env: name => _env.GetValueOrDefault(name));
        _web = await LoopbackService.StartAsync();
        _web.Answers["/healthz"] = (200, "ok", "Content-Type: text/plain");
        _web.Answers["/status"] = (200, "{\"status\":\"ok\"}", "Cache-Control: no-cache");
        _web.Answers["/"] = (200, new string('x', 50), null);
        _h.Platform.BaseUrl = _web.Url;
        _h.Release("web-staging", "web", "t1");
        // The API's service, job and last execution all run one image: no drift.
        _h.Release("api-staging", "api", "t1");
        _h.Platform.Jobs["api-migrate-staging"] = "local://api@sha256:api-t1";
        _h.Platform.Executions["api-migrate-staging"] = [new("api-migrate-staging-00001", "local://api@sha256:api-t1", true, 0, "log")];
    }

    public async Task DisposeAsync()
    {
        await _web.DisposeAsync();
        _h.Dispose();
    }

    [Fact]
    public async Task EveryCheckPassing_IsAGo_RecordedForTheTag_WithEvidenceInTheSeedsShapes()
    {
        var report = await RunAsync();

        Assert.True(report.Go, string.Join("\n", report.Results.Select(r => $"{r.CheckId} {r.Status} {r.Reason}")));
        Assert.Equal(9, report.Results.Count);
        Assert.All(report.Results, r => Assert.Equal(CheckStatus.Passed, r.Status));
        Assert.True(_h.State.LatestGate("staging", "production", "t1")!.Go);
        var audit = Assert.Single(_h.State.AuditRecords());
        Assert.Equal(("gate", "go"), (audit.Action, audit.Result));
        Assert.Equal(Path.Combine(report.EvidenceDirectory, "results.json"), audit.Receipt);
        Assert.Equal("check_id\trequired\tstatus\tdescription\tlog_path\tcommand", File.ReadLines(Path.Combine(report.EvidenceDirectory, "results.tsv")).First());
        Assert.Contains("web-health\ttrue\tpassed\tweb answers\tlogs/web-health.log\tGET web (staging) /healthz", File.ReadAllText(Path.Combine(report.EvidenceDirectory, "results.tsv")), StringComparison.Ordinal);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report.EvidenceDirectory, "results.json"))).RootElement;
        Assert.Equal(("go", 9), (json.GetProperty("decision").GetString(), json.GetProperty("totals").GetProperty("passed").GetInt32()));
        Assert.Equal(
            ["api api-staging-00002-abc sha256:api-t1", "web web-staging-00001-abc sha256:web-t1"],
            json.GetProperty("releases").EnumerateArray().Select(r => $"{r.GetProperty("lane")} {r.GetProperty("revision")} {r.GetProperty("digest")}"));
        Assert.Equal(["api", "web"], _h.State.GateReleases(_h.State.LatestGate("staging", "production", "t1")!.Id).Select(r => r.Lane));
        Assert.Contains("Every required check passed.", File.ReadAllText(Path.Combine(report.EvidenceDirectory, "SUMMARY.md")), StringComparison.Ordinal);
        Assert.Contains("contract ok", File.ReadAllText(Path.Combine(report.EvidenceDirectory, "logs", "contract.log")), StringComparison.Ordinal);
        Assert.Contains($"GET /status auth=Bearer {Token}", _web.Requests);
    }

    [Fact]
    public async Task TheEvidenceOfEveryKindOfCheck_PassingAndFailing_IsOnRecord()
    {
        var go = await RunAsync();
        _web.Answers["/"] = (200, new string('x', 500), null);
        _web.Answers["/status"] = (200, "{\"status\":\"degraded\"}", null);
        _h.Platform.Jobs["api-migrate-staging"] = "local://api@sha256:other";
        var id = _h.State.StartRollout("api", "production", "a", "b", [0, 5, 100], TimeSpan.FromSeconds(10), "running");
        _h.State.UpdateRollout(id, "failed", 1, 5, "stage 5% failed", driven: false);
        File.WriteAllText(Path.Combine(_h.Dir, "deploy.sh"), "#!/bin/sh\nphp artisan migrate\n");
        var noGo = await RunAsync();

        // Two gates in one tick of the clock: each keeps its own evidence.
        Assert.NotEqual(go.EvidenceDirectory, noGo.EvidenceDirectory);
        var trail = new Trail(_h.Dir);
        foreach (var report in new[] { go, noGo })
        {
            var logs = Directory.GetFiles(Path.Combine(report.EvidenceDirectory, "logs")).Select(f => "logs/" + Path.GetFileName(f)).Order(StringComparer.Ordinal);
            trail.Section($"evidence of {(report.Go ? "a go" : "a no-go")}").Files(report.EvidenceDirectory, ["results.tsv", "results.json", "SUMMARY.md", .. logs]);
        }

        GoldenFile.Match("gate-evidence-full.txt", trail.ToString());
    }

    [Fact]
    public async Task ABearerToken_NeverReachesTheEvidence()
    {
        _web.Answers["/status"] = (200, $"{{\"status\":\"ok\",\"echo\":\"{Token}\"}}", "Cache-Control: no-cache");

        var report = await RunAsync();

        foreach (var file in Directory.GetFiles(report.EvidenceDirectory, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(Token, File.ReadAllText(file), StringComparison.Ordinal);
        }

        Assert.Contains(Redactor.Mask, File.ReadAllText(Path.Combine(report.EvidenceDirectory, "logs", "web-status.log")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARequiredFailure_OrARequiredSkip_IsANoGo_AnOptionalFailureIsOnlyReported()
    {
        _web.Answers["/"] = (200, new string('x', 500), null);
        var optionalOnly = await RunAsync();
        _env.Remove("WEB_TOKEN");
        var skipped = await RunAsync();
        _env["WEB_TOKEN"] = Token;
        _web.Answers["/status"] = (200, "{\"status\":\"degraded\"}", null);
        var failed = await RunAsync();

        Assert.True(optionalOnly.Go);
        Assert.Equal((CheckStatus.Failed, "/ is 500 bytes, over the budget of 100"), Result(optionalOnly, "web-budget"));
        Assert.False(skipped.Go);
        Assert.Equal((CheckStatus.Skipped, "environment variable WEB_TOKEN (the bearer token) is not set"), Result(skipped, "web-status"));
        Assert.False(failed.Go);
        Assert.Equal((CheckStatus.Failed, "/status answered without '\"ok\"'"), Result(failed, "web-status"));
        Assert.False(_h.State.LatestGate("staging", "production", "t1")!.Go);
        Assert.Contains("No-go: `web-status` failed.", File.ReadAllText(Path.Combine(failed.EvidenceDirectory, "SUMMARY.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DriftCanaryStatusAndGuard_ReadThePlatformTheStoreAndTheTree()
    {
        _h.Platform.Jobs["api-migrate-staging"] = "local://api@sha256:other";
        var id = _h.State.StartRollout("api", "production", "a", "b", [0, 5, 100], TimeSpan.FromSeconds(10), "running");
        _h.State.UpdateRollout(id, "failed", 1, 5, "stage 5% failed", driven: false);
        File.WriteAllText(Path.Combine(_h.Dir, "deploy.sh"), "#!/bin/sh\nphp artisan migrate\n");

        var report = await RunAsync();

        Assert.False(report.Go);
        Assert.Equal((CheckStatus.Failed, "drift: the service runs local://api@sha256:api-t1 but the job is set to local://api@sha256:other"), Result(report, "api-drift"));
        Assert.Equal((CheckStatus.Failed, "the latest rollout of api in production is failed at 5%: stage 5% failed"), Result(report, "api-canary"));
        Assert.Equal(CheckStatus.Failed, Result(report, "legacy-guard").Status);
        Assert.StartsWith("1 legacy finding, first: deploy.sh:2", Result(report, "legacy-guard").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAReachablePlatform_ChecksOfDeployedLanesAreSkipped_WithANote()
    {
        _h.PlatformReachable = false;
        var notes = new List<string>();

        var report = await new GateOperation(_h.Workspace).RunAsync(null, null, "t1", notes.Add, (_, _) => { }, _ => { }, CancellationToken.None);

        Assert.False(report.Go);
        Assert.Equal("note: the local agent is not running, so checks of deployed lanes are skipped (start it with: deploymatrix agent start)", Assert.Single(notes));
        Assert.Equal((CheckStatus.Skipped, "no platform to find web (staging) on"), Result(report, "web-health"));
        Assert.Equal((CheckStatus.Skipped, "no platform to check drift on"), Result(report, "api-drift"));
        Assert.Equal(CheckStatus.Passed, Result(report, "contract").Status);
    }

    [Fact]
    public async Task ARedirect_IsAnAnswer_NotFollowed_AndAPlatformThatStopsAnswering_SkipsItsChecks_NeverEndsTheGate()
    {
        _web.Answers["/healthz"] = (302, "", "Location: /elsewhere");
        _web.Answers["/elsewhere"] = (200, "ok", null);
        var redirected = await RunAsync();
        _h.Platform.Down = "the agent stopped answering";
        var unreachable = await RunAsync();

        Assert.Equal((CheckStatus.Failed, "/healthz answered 302, expected 200"), Result(redirected, "web-health"));
        Assert.DoesNotContain(_web.Requests, r => r.StartsWith("GET /elsewhere", StringComparison.Ordinal));
        Assert.Equal((CheckStatus.Skipped, "cannot reach web (staging): the agent stopped answering"), Result(unreachable, "web-health"));
        Assert.Equal((CheckStatus.Skipped, "the platform did not answer: the agent stopped answering"), Result(unreachable, "api-drift"));
        Assert.False(unreachable.Go);
    }

    [Fact]
    public async Task AGate_ApprovesOnlyWhatTheFromEnvironmentServesAtOneHundredPercent_ItsOtherChecksWouldVouchForOtherContent()
    {
        // t2 of web is built but staging still runs t1: the case where a gate approved a name.
        var notDeployed = await RunAsync("t2");
        var neverBuilt = await RunAsync("t9");
        // t2 deployed to web beside t1, split 95/5, as a canary would leave it.
        var canary = _h.Release("web-staging", "web", "t2");
        var split95 = await new TrafficOperation(_h.Workspace).RunAsync("web", "staging", [("web-staging-00001-abc", 95), (canary, 5)], new ChangeOptions(), _h.Reporter, CancellationToken.None);
        _h.Release("api-staging", "api", "t2");
        var split = await RunAsync("t2");

        Assert.False(notDeployed.Go);
        Assert.Equal(
            (CheckStatus.Failed, "web-staging (staging) runs web-staging-00001-abc (tag t1, sha256:web-t1)=100%, not tag t2 (sha256:web-t2); deploy it there first"),
            Result(notDeployed, "serves-tag-web"));
        Assert.Equal((CheckStatus.Skipped, "not run: staging does not serve tag t2 (serves-tag-api, serves-tag-web)"), Result(notDeployed, "web-health"));
        Assert.DoesNotContain(_web.Requests, r => r.Contains("/healthz", StringComparison.Ordinal));
        Assert.Equal(
            (CheckStatus.Failed, "tag t9 was never built for web on local; web-staging (staging) runs web-staging-00001-abc (tag t1, sha256:web-t1)=100%"),
            Result(neverBuilt, "serves-tag-web"));
        Assert.False(split.Go);
        Assert.Equal(
            (CheckStatus.Failed, $"web-staging (staging) splits traffic web-staging-00001-abc (tag t1, sha256:web-t1)=95%, {canary} (tag t2, sha256:web-t2)=5%; the gate approves only a release serving 100%"),
            Result(split, "serves-tag-web"));
        Assert.Equal(CheckStatus.Passed, Result(split, "serves-tag-api").Status);
        Assert.Equal(["api"], _h.State.GateReleases(_h.State.LatestGate("staging", "production", "t2")!.Id).Select(r => r.Lane));
        Assert.True(split95.Ok, split95.Error);
    }

    [Fact]
    public async Task AGateOtherThanTheMatrixs_IsBadInput()
    {
        var refused = await Assert.ThrowsAsync<OperationException>(() => new GateOperation(_h.Workspace).RunAsync("staging", "qa", "t1", _ => { }, (_, _) => { }, _ => { }, CancellationToken.None));

        Assert.Equal((ExitCodes.BadInput, "the matrix's gate goes from 'staging' to 'production'; run it with --from staging --to production"), (refused.ExitCode, refused.Message));
        Assert.Empty(_h.State.AuditRecords());
    }

    private async Task<GateReport> RunAsync(string tag = "t1")
    {
        var seen = new List<CheckResult>();
        var report = await new GateOperation(_h.Workspace).RunAsync(null, null, tag, _ => { }, (gate, decided) => Assert.Equal(tag, decided), r =>
        {
            lock (seen)
            {
                seen.Add(r);
            }
        }, CancellationToken.None);
        Assert.Equal(report.Results.Select(r => r.CheckId).Order(), seen.Select(r => r.CheckId).Order());
        return report;
    }

    private static (string Status, string Reason) Result(GateReport report, string id) =>
        report.Results.Single(r => r.CheckId == id) is var r ? (r.Status, r.Reason) : default;
}
