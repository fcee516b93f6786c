using System.Text.Json;
using System.Xml.Linq;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Local;

public sealed class DrillTests : ExampleTest
{
    protected override ExampleStage Stage => ExampleStage.Agent;

    private const string Lane = "openagents-control-service";

    [Fact]
    public void CanaryDrill_ShiftsRollsBackAndWritesTheSeedsReport()
    {
        Assert.Equal(0, Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t1").ExitCode);
        Assert.Equal(0, Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t1", "--no-traffic").ExitCode);
        using var outDir = new TempDir();

        var run = Example.Cli("drill", "canary", Lane, "--env", "staging", "--steps", "5,50", "--dwell", "300ms", "--out", outDir.Path);

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = File.ReadAllLines(Path.Combine(outDir.Path, "step-results.jsonl"));
        Assert.Equal(["status-pre", "traffic-5", "traffic-50", "rollback", "status-post"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step_id").GetString()));
        foreach (var line in lines)
        {
            var step = JsonDocument.Parse(line).RootElement;
            foreach (var field in new[] { "description", "command", "status", "reason", "started_at", "ended_at", "log_path" })
            {
                Assert.True(step.TryGetProperty(field, out _), $"step lacks {field}");
            }

            Assert.Equal("pass", step.GetProperty("status").GetString());
            Assert.True(File.Exists(Path.Combine(outDir.Path, step.GetProperty("log_path").GetString()!)));
        }

        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir.Path, "summary.json"))).RootElement;
        Assert.Equal("deploymatrix.drill.canary.v1", summary.GetProperty("schema").GetString());
        Assert.Equal("openagents-control-service-staging", summary.GetProperty("service").GetString());
        Assert.False(summary.GetProperty("dry_run").GetBoolean());
        Assert.Equal(5, summary.GetProperty("totals").GetProperty("step_count").GetInt32());
        Assert.Equal(0, summary.GetProperty("totals").GetProperty("failed").GetInt32());
        Assert.Equal("pass", summary.GetProperty("overall_status").GetString());
        var svg = XDocument.Parse(File.ReadAllText(Path.Combine(outDir.Path, "timeline.svg")));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var traffic = svg.Descendants(ns + "path").Where(p => ((string?)p.Attribute("class") ?? "").Contains("dm-traffic", StringComparison.Ordinal)).ToList();
        Assert.Equal([summary.GetProperty("stable_revision").GetString(), summary.GetProperty("canary_revision").GetString()], traffic.Select(p => p.Attribute("data-revision")?.Value));
        foreach (var path in traffic)
        {
            // Step-shaped: a split holds (horizontal) until the next step changes it (vertical); at least status-pre, 5, 50 and the rollback.
            var points = path.Attribute("d")!.Value.TrimStart('M').Split(" L").Select(p => p.Split(',')).ToList();
            Assert.True(points.Count >= 8, path.Attribute("d")!.Value);
            Assert.All(points.Zip(points.Skip(1)), s => Assert.True(s.First[0] == s.Second[0] || s.First[1] == s.Second[1], $"slanted segment in {path.Attribute("d")!.Value}"));
        }

        Assert.Equal(["5% PASS", "50% PASS", "rollback PASS"], svg.Descendants(ns + "text")
            .Where(t => ((string?)t.Attribute("class") ?? "").Contains("dm-stage-label", StringComparison.Ordinal)).Select(t => string.Concat(t.Nodes().OfType<XText>().Select(n => n.Value))));
        Assert.Contains("(timeline.svg)", File.ReadAllText(Path.Combine(outDir.Path, "SUMMARY.md")), StringComparison.Ordinal);
        var status = JsonDocument.Parse(Example.Cli("status", Lane, "--env", "staging", "-o", "json").Out).RootElement.GetProperty("services")[0];
        Assert.Equal(summary.GetProperty("stable_revision").GetString(), status.GetProperty("traffic")[0].GetProperty("revision").GetString());
        Assert.Equal(100, status.GetProperty("traffic")[0].GetProperty("percent").GetInt32());
    }

    [Fact]
    public void DryRun_WritesTheWholeReport_AndChangesNothing()
    {
        Assert.Equal(0, Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t1").ExitCode);
        Assert.Equal(0, Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t1", "--no-traffic").ExitCode);
        var before = Serving();
        var history = Example.Cli("history", Lane, "-o", "json").Out;
        using var outDir = new TempDir();

        var run = Example.Cli("drill", "canary", Lane, "--env", "staging", "--dry-run", "--out", outDir.Path);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["status-pre", "traffic-5", "traffic-25", "traffic-50", "traffic-100", "rollback", "status-post"],
            run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).SkipLast(1).Select(l => l.TrimStart().Split(' ')[0]));
        Assert.StartsWith("DRY RUN: nothing was run or changed; report in ", run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
        var lines = File.ReadAllLines(Path.Combine(outDir.Path, "step-results.jsonl"));
        Assert.Equal(7, lines.Length);
        foreach (var line in lines)
        {
            var step = JsonDocument.Parse(line).RootElement;
            var log = File.ReadAllText(Path.Combine(outDir.Path, step.GetProperty("log_path").GetString()!));
            Assert.Contains($"$ {step.GetProperty("command").GetString()}", log, StringComparison.Ordinal);
        }

        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir.Path, "summary.json"))).RootElement;
        Assert.True(summary.GetProperty("dry_run").GetBoolean());
        Assert.True(File.Exists(Path.Combine(outDir.Path, "SUMMARY.md")) && File.Exists(Path.Combine(outDir.Path, "timeline.svg")));
        Assert.Equal(before, Serving());
        Assert.Equal(history, Example.Cli("history", Lane, "-o", "json").Out);
    }

    /// <summary>What the service serves: its split, and its stable and latest ready revisions.</summary>
    private string Serving()
    {
        var status = JsonDocument.Parse(Example.Cli("status", Lane, "--env", "staging", "-o", "json").Out).RootElement.GetProperty("services")[0];
        return $"{status.GetProperty("traffic")} {status.GetProperty("stable_revision")} {status.GetProperty("latest_ready_revision")}";
    }

    [Fact]
    public void BadSteps_AreAUsageError()
    {
        var run = Example.Cli("drill", "canary", Lane, "--env", "staging", "--steps", "5,150");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("not a percent 1..100", Assert.Single(run.ErrLines), StringComparison.Ordinal);
    }
}
