using System.Text.Json;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

public sealed class ValidateCommandTests
{
    public static TheoryData<string> BadFiles() =>
        [.. Directory.GetFiles(RepoPaths.Corpus("bad"), "*.yaml").Select(f => Path.GetRelativePath(RepoPaths.Root, f)).Order(StringComparer.Ordinal)];

    [Fact]
    public void Validate_Example_ExitsZeroAndSummarizes()
    {
        var run = CliRun.InRepo("validate", "examples/openagents/deploymatrix.yaml");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("examples/openagents/deploymatrix.yaml: valid — 6 lanes (4 canonical, 2 legacy), environments staging → production, 16 gate checks\n", run.Out);
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Validate_BrokenMatrix_PrintsPathLineColumnErrorsAndExits2(string file)
    {
        var run = CliRun.InRepo("validate", file);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Out);
        var lines = run.ErrLines;
        Assert.All(lines[..^1], l => Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(file)}:\d+:\d+: \S", l));
        Assert.Matches(@"^\d+ errors? in ", lines[^1]);
        Assert.DoesNotContain("   at ", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ATabUsedForIndentationOnLine6_IsReportedAtThatTab_NotAtTheStartOfTheFile()
    {
        var run = CliRun.InRepo("validate", "tests/corpus/bad/yaml-tab-indentation.yaml");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            "tests/corpus/bad/yaml-tab-indentation.yaml:6:1: invalid YAML: a tab indents line 6; YAML indents with spaces only — replace the tab with spaces",
            run.ErrLines[0]);
    }

    [Fact]
    public void Validate_JsonOutput_ListsErrorsForMachines()
    {
        var run = CliRun.InRepo("validate", "tests/corpus/bad/stages-descending.yaml", "--output", "json");

        Assert.Equal(2, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        var error = json.RootElement.GetProperty("errors")[0];
        Assert.Equal(11, error.GetProperty("line").GetInt32());
        Assert.Equal(29, error.GetProperty("column").GetInt32());
        Assert.Equal("stages", error.GetProperty("code").GetString());
    }

    [Fact]
    public void Validate_JsonOutput_ForAValidMatrix_Summarizes()
    {
        var run = CliRun.InRepo("validate", "examples/openagents/deploymatrix.yaml", "-o", "json");

        using var json = JsonDocument.Parse(run.Out);
        Assert.True(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal(6, json.RootElement.GetProperty("summary").GetProperty("lanes").GetInt32());
        Assert.Equal(0, json.RootElement.GetProperty("errors").GetArrayLength());
    }

    [Fact]
    public void Validate_WithoutFile_FindsTheNearestMatrixUpwards_AndSaysWhichWithVerbose()
    {
        var nested = Path.Combine(RepoPaths.Root, "examples", "openagents", "apps", "lightning-ops", "src");

        var run = CliRun.Invoke(nested, "validate", "-v");

        Assert.Equal(0, run.ExitCode);
        var matrix = Path.Combine(RepoPaths.Root, "examples", "openagents", "deploymatrix.yaml");
        Assert.Equal($"using matrix {matrix}\n", run.Err);
        Assert.StartsWith($"{matrix}: valid", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_FileOption_IsTheSameAsThePositionalFile()
    {
        var run = CliRun.InRepo("--file", "examples/openagents/deploymatrix.yaml", "validate");

        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public void Validate_NoMatrixAnywhere_IsOneLineWithTheFix()
    {
        using var dir = new TempDir();

        var run = CliRun.Invoke(dir.Path, "validate");

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrLines);
        Assert.Contains("pass --file PATH", line, StringComparison.Ordinal);
    }
}
