using DeployMatrix.Engine.Drill;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Gate;

/// <summary>Gate verdicts and drill reports read back from what the gate and the drill wrote, as the dashboard shows them.</summary>
public sealed class GateVerdictsTests : IAsyncLifetime
{
    private readonly EngineHarness _h = new();
    private LoopbackService _web = null!;

    public async Task InitializeAsync()
    {
        _web = await LoopbackService.StartAsync();
        _web.Answers["/healthz"] = (200, "ok", null);
        _h.Platform.BaseUrl = _web.Url;
        _h.Release("web-staging", "web", "t1");
    }

    public async Task DisposeAsync()
    {
        await _web.DisposeAsync();
        _h.Dispose();
    }

    [Fact]
    public async Task LatestVerdicts_AreTheLatestRunPerTag_NewestFirst_WithTheChecksAsTheEvidenceRecordsThem()
    {
        var first = await RunAsync("t1");
        _web.Answers["/healthz"] = (503, "down", null);
        var second = await RunAsync("t1");
        var other = await RunAsync("t2");

        var verdicts = new GateOperation(_h.Workspace).LatestVerdicts();

        Assert.Equal(["t2", "t1"], verdicts.Select(v => v.Record.Tag));
        var t1 = verdicts[1];
        Assert.False(t1.Record.Go);
        Assert.Equal(second.EvidenceDirectory, t1.Record.Evidence);
        Assert.Null(t1.EvidenceProblem);
        Assert.Equal(second.Results.Select(r => (r.CheckId, r.Required, r.Status, r.Reason, Math.Round(r.DurationMs, 1))),
            t1.Evidence!.Checks.Select(c => (c.CheckId, c.Required, c.Status, c.Reason, c.DurationMs)));
        Assert.Equal("no-go", t1.Evidence.Decision);
        Assert.All(t1.Evidence.Checks, c => Assert.Contains(c.LogPath, t1.Evidence.Files));
        Assert.Equal(["SUMMARY.md", "results.json", "results.tsv"], t1.Evidence.Files.Where(f => !f.StartsWith("logs/", StringComparison.Ordinal)));
        Assert.Equal(["web"], t1.Releases.Select(r => r.Lane));

        // An earlier run stays readable by its id; one whose folder is gone says so instead of failing.
        var go = new GateOperation(_h.Workspace).Verdict(_h.State.Gates().Single(g => g.Evidence == first.EvidenceDirectory).Id)!;
        Assert.Equal(("go", true), (go.Evidence!.Decision, go.Record.Go));
        Directory.Delete(other.EvidenceDirectory, recursive: true);
        var gone = new GateOperation(_h.Workspace).LatestVerdicts()[0];
        Assert.Null(gone.Evidence);
        Assert.Contains("no results.json", gone.EvidenceProblem, StringComparison.Ordinal);
        Assert.Null(new GateOperation(_h.Workspace).Verdict(12345));
    }

    [Fact]
    public void DrillReports_ReadBackWhatTheDrillWrote_NewestFirst_AndRefuseNamesOutsideTheFolder()
    {
        var drill = new DrillOperation(_h.Workspace);
        var older = drill.DryRun("web", "staging", [5, 100], null);
        _h.Time.Advance(TimeSpan.FromSeconds(2));
        var newer = drill.DryRun("web", "staging", [50, 100], null);

        var reports = DrillReports.List(_h.Workspace.Paths.Drills);

        Assert.Equal([Path.GetFileName(newer.Directory), Path.GetFileName(older.Directory)], reports.Select(r => r.Name));
        var report = reports[0];
        Assert.True(report.DryRun);
        Assert.True(report.HasTimeline);
        Assert.Equal("pass", report.OverallStatus);
        Assert.Equal(newer.Result.Steps.Select(s => (s.StepId, s.Status, "logs/" + Path.GetFileName(s.LogPath))), report.Steps.Select(s => (s.StepId, s.Status, s.Log)));
        Assert.All(report.Steps, s => Assert.Contains(s.Log, report.Files));
        foreach (var name in new[] { "..", ".", "", "a/b", Path.GetFileName(newer.Directory) + "/logs", "missing" })
        {
            Assert.Null(DrillReports.TryRead(_h.Workspace.Paths.Drills, name));
        }
    }

    private async Task<GateReport> RunAsync(string tag) =>
        await new GateOperation(_h.Workspace).RunAsync(null, null, tag, _ => { }, (_, _) => { }, _ => { }, CancellationToken.None);
}
