using System.Diagnostics;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

/// <summary>The root launcher every doc uses: a real process that builds once, then runs the CLI.</summary>
public sealed class LauncherTests
{
    [Fact]
    public void Launcher_RunsTheReadmesFirstCommand()
    {
        var (code, stdout, stderr) = Run("validate", "examples/openagents/deploymatrix.yaml");

        Assert.True(code == 0, stderr);
        Assert.StartsWith("examples/openagents/deploymatrix.yaml: valid", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Launcher_PassesTheExitCodeThrough()
    {
        var (code, _, stderr) = Run("validate", "tests/corpus/bad/stage-above-100.yaml");

        Assert.Equal(2, code);
        Assert.Contains("tests/corpus/bad/stage-above-100.yaml:11:32: ", stderr, StringComparison.Ordinal);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "deploymatrix"))
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // The first call may build the CLI; later calls start in a fraction of a second.
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the launcher did not finish within 5 minutes");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
