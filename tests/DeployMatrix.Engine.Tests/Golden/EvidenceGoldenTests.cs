using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Tests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Engine.Tests.Golden;

/// <summary>
/// The evidence the engine leaves, file by file, on a fake clock and the in-memory platform: a drill's
/// report (results, summary, Markdown, timeline), receipts of a deploy and a rollout, and a gate's evidence.
/// Folder names, ports and durations vary from run to run and are replaced by placeholders.
/// </summary>
public sealed class EvidenceGoldenTests : IAsyncLifetime
{
    private readonly EngineHarness _h = new(setUp: p => p.RequestsPerSecond = 1000);
    private LoopbackService _web = null!;

    public async Task InitializeAsync()
    {
        _web = await LoopbackService.StartAsync();
        _web.Answers["/healthz"] = (200, "ok", "Cache-Control: no-store");
        _h.Platform.BaseUrl = _web.Url;
    }

    public async Task DisposeAsync()
    {
        await _web.DisposeAsync();
        _h.Dispose();
    }

    [Fact]
    public async Task ADrillsReport_IsOnRecord()
    {
        _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        _h.Platform.Behaviours["local://web@sha256:web-t2"] = new Behaviour(ErrorRate: 0.02);
        await new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t2", noTraffic: true, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        var dir = Path.Combine(_h.Dir, "drill");

        var run = await _h.RunAsync(new DrillOperation(_h.Workspace).RunAsync("web", "staging", [5, 50, 100], TimeSpan.FromSeconds(2), dir, _ => { }, CancellationToken.None));

        Assert.True(run.Result.Passed);
        GoldenFile.Match("drill-report.txt", Files(dir, "step-results.jsonl", "summary.json", "SUMMARY.md", "timeline.svg", "logs/traffic-50.log", "logs/status-post.log"));
    }

    [Fact]
    public async Task ADryRunDrillsReport_IsOnRecord()
    {
        _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        await new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t2", noTraffic: true, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        var dir = Path.Combine(_h.Dir, "drill");

        new DrillOperation(_h.Workspace).DryRun("web", "staging", [5, 100], dir);

        GoldenFile.Match("drill-report-dry-run.txt", Files(dir, "step-results.jsonl", "summary.json", "SUMMARY.md", "logs/status-pre.log", "logs/traffic-5.log", "logs/rollback.log"));
    }

    [Fact]
    public async Task AFailedDrillStep_IsRecorded_AndTheDrillGoesOn()
    {
        var stable = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        await new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t2", noTraffic: true, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        var dir = Path.Combine(_h.Dir, "drill");
        // The platform turns away the 25% step only: the drill records it and goes on to roll back.
        _h.Platform.RefuseTraffic = split => split.Any(s => s.Percent == 25) ? "quota exceeded" : null;

        var run = await _h.RunAsync(new DrillOperation(_h.Workspace).RunAsync("web", "staging", [25, 50], TimeSpan.FromSeconds(1), dir, _ => { }, CancellationToken.None));

        Assert.False(run.Result.Passed);
        Assert.Equal(["pass", "fail", "pass", "pass", "pass"], run.Result.Steps.Select(s => s.Status));
        Assert.Equal("quota exceeded", run.Result.Steps[1].Reason);
        Assert.Equal([new Engine.Platform.TrafficAssignment(stable, 100)], _h.Platform.Traffic("web-staging"));
        Assert.Equal(("drill", "fail"), (_h.State.AuditRecords()[^1].Action, _h.State.AuditRecords()[^1].Result));
        Assert.Contains("| `traffic-25` | fail | quota exceeded |", File.ReadAllText(Path.Combine(dir, "SUMMARY.md")), StringComparison.Ordinal);
        GoldenFile.Match("drill-report-failed.txt", Files(dir, "step-results.jsonl", "summary.json", "SUMMARY.md", "timeline.svg"));
    }

    [Fact]
    public async Task TheReceiptsOfADeployAndARollout_AreOnRecord()
    {
        _h.Platform.Seed("api-staging", "local://api@sha256:api-t1", "t1");
        _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");

        var deploy = await new DeployOperation(_h.Workspace).RunAsync("api", "staging", "t2", false, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        var rollout = await _h.RunAsync(new RolloutOperation(_h.Workspace).RunAsync(new RolloutStartRequest("web", "staging") { Tag = "t2" }, _h.Reporter, _ => { }, _ => { }, r => r(_h.Reporter), CancellationToken.None));

        GoldenFile.Match("receipts.txt", new Trail(_h.Dir).File(deploy.ReceiptPath!).File(Engine.Recording.DeployReport.PathFor(deploy.ReceiptPath!)).File(rollout!.Receipt!).ToString());
    }

    [Fact]
    public async Task ARolloutsTrail_IsOnRecord_WhatItSaid_JournaledAndAudited()
    {
        _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        _h.Platform.Behaviours["local://web@sha256:web-t3"] = new Behaviour(ErrorRate: 0.2);
        var rollouts = new RolloutOperation(_h.Workspace);

        var passed = await _h.RunAsync(rollouts.RunAsync(new RolloutStartRequest("web", "staging") { Tag = "t2" }, _h.Reporter, _ => { }, _ => { }, r => r(_h.Reporter), CancellationToken.None));
        var failed = await _h.RunAsync(rollouts.RunAsync(new RolloutStartRequest("web", "staging") { Tag = "t3" }, _h.Reporter, _ => { }, _ => { }, r => r(_h.Reporter), CancellationToken.None));

        var trail = new Trail(_h.Dir)
            .Section("said").Lines(_h.Reporter.Lines)
            .Section("journal").Journal(_h.State, j => j.Action is "rollout" or "rollout-stage")
            .Section("audit").Audit(_h.State, a => a.Action is "rollout" or "rollout-stage")
            .Section("receipts").File(passed!.Receipt!).File(failed!.Receipt!);
        GoldenFile.Match("rollout-trail.txt", trail.ToString());
    }

    [Fact]
    public async Task AGatesEvidence_IsOnRecord()
    {
        _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");

        var report = await new GateOperation(_h.Workspace).RunAsync(null, null, "t1", _ => { }, (_, _) => { }, _ => { }, CancellationToken.None);

        GoldenFile.Match("gate-evidence.txt", Files(report.EvidenceDirectory, "results.tsv", "results.json", "SUMMARY.md", "logs/web-health.log"));
    }

    private string Files(string dir, params string[] names) => new Trail(_h.Dir).Files(dir, names).ToString();
}
