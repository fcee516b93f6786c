using System.Text.Json;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

public sealed class GuardCommandTests
{
    [Fact]
    public void Guard_CleanExample_ExitsZero()
    {
        var run = CliRun.InRepo("guard", "examples/openagents");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.StartsWith("guard: no forbidden legacy commands", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Guard_Findings_ArePrintedAsPathLineAndExitOne()
    {
        using var repo = TempDir.CopyOfExample();
        repo.Write("scripts/ship.sh", "#!/bin/sh\nphp artisan migrate\n");
        repo.Write("apps/web/artisan", "#!/usr/bin/env php\n");

        var run = CliRun.Invoke(repo.Path, "guard");

        Assert.Equal(1, run.ExitCode);
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("apps/web/artisan:1: legacy deploy asset outside the archived paths", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("scripts/ship.sh:2: forbidden legacy command 'php artisan' (legacy Laravel/PHP)", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Guard_Json_ListsFindings()
    {
        using var repo = TempDir.CopyOfExample();
        repo.Write("Makefile", "test:\n\tmix test\n");

        var run = CliRun.Invoke(repo.Path, "guard", "--output", "json");

        Assert.Equal(1, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        var finding = Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray());
        Assert.Equal("Makefile", finding.GetProperty("path").GetString());
        Assert.Equal(2, finding.GetProperty("line").GetInt32());
        Assert.Equal("forbidden-command", finding.GetProperty("kind").GetString());
    }

    [Fact]
    public void Guard_NotAFolder_IsBadInput()
    {
        var run = CliRun.InRepo("guard", "no/such/dir");

        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.ErrLines);
    }
}
