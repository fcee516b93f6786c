using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

public sealed class RenderCommandTests
{
    private const string Example = "examples/openagents/deploymatrix.yaml";

    [Fact]
    public void Render_PrintsTheMap()
    {
        var run = CliRun.InRepo("render", Example);

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("# Rust Service Deployment Matrix\n", run.Out, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/openagents/DEPLOY_MATRIX.md")), run.Out);
    }

    [Fact]
    public void RenderCheck_UpToDateDocument_ExitsZero()
    {
        var run = CliRun.InRepo("render", Example, "--check", "examples/openagents/DEPLOY_MATRIX.md");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("examples/openagents/DEPLOY_MATRIX.md is up to date\n", run.Out);
    }

    [Fact]
    public void RenderCheck_StaleDocument_ExitsOneWithAReadableDiff()
    {
        using var dir = new TempDir();
        var current = File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/openagents/DEPLOY_MATRIX.md"));
        var stale = dir.Write("DOC.md", current.Replace("Last updated: 2026-02-21", "Last updated: 2025-12-01", StringComparison.Ordinal));

        var run = CliRun.InRepo("render", Example, "--check", stale);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("-Last updated: 2025-12-01\n+Last updated: 2026-02-21\n", run.Out, StringComparison.Ordinal);
        Assert.StartsWith($"--- {stale}\n+++ rendered from {Example}\n@@ ", run.Out, StringComparison.Ordinal);
        Assert.Contains("is stale; regenerate it with: deploymatrix render", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderCheck_MissingDocument_IsBadInputWithTheFix()
    {
        var run = CliRun.InRepo("render", Example, "--check", "nope/DOC.md");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--out nope/DOC.md", Assert.Single(run.ErrLines), StringComparison.Ordinal);
    }

    [Fact]
    public void RenderOut_WritesTheFileThatCheckAccepts()
    {
        using var dir = new TempDir();
        var doc = Path.Combine(dir.Path, "MAP.md");

        Assert.Equal(0, CliRun.InRepo("render", Example, "--out", doc).ExitCode);

        Assert.Equal(0, CliRun.InRepo("render", Example, "--check", doc).ExitCode);
    }

    [Fact]
    public void Render_InvalidMatrix_Exits2WithoutOutput()
    {
        var run = CliRun.InRepo("render", "tests/corpus/bad/duplicate-lane.yaml");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Out);
    }
}
