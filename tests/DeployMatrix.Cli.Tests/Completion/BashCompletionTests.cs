using System.Diagnostics;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Completion;

/// <summary>
/// The bash script as a user loads it: sourced in a real bash, its function called the way bash calls it on TAB
/// (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT), and deploymatrix a real process it calls back into.
/// </summary>
public sealed class BashCompletionTests : IDisposable
{
    private readonly TempDir _bin = new();

    public BashCompletionTests()
    {
        // What an installed deploymatrix is: a command on PATH; here it runs the CLI these tests were built with.
        var launcher = Path.Combine(_bin.Path, "deploymatrix");
        File.WriteAllText(launcher, $"#!/bin/sh\nexec dotnet '{typeof(CliApp).Assembly.Location}' \"$@\"\n");
        File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Fact]
    public void TheScript_RegistersItsFunctionForDeploymatrix()
    {
        var (code, output) = Bash("complete -p deploymatrix");

        Assert.Equal(0, code);
        Assert.Equal("complete -o default -F _deploymatrix_complete deploymatrix", output.Trim());
    }

    [Fact]
    public void Tab_AfterAPrefix_CompletesTheCommandName()
    {
        Assert.Equal(["deploy"], Complete("deploymatrix dep"));
    }

    [Fact]
    public void Tab_AfterADash_CompletesTheCommandsOptions()
    {
        var candidates = Complete("deploymatrix deploy --no-t");

        Assert.Equal(["--no-traffic"], candidates);
    }

    [Fact]
    public void Tab_WhereALaneGoes_CompletesTheMatrixsLanes()
    {
        var candidates = Complete("deploymatrix deploy r");

        Assert.Equal(["runtime"], candidates);
        Assert.Contains("openagents-control-service", Complete("deploymatrix status "));
    }

    [Fact]
    public void Tab_AfterEnv_CompletesTheMatrixsEnvironments()
    {
        Assert.Equal(["production", "staging"], Complete("deploymatrix deploy runtime --env "));
        Assert.Equal(["staging"], Complete("deploymatrix rollback runtime -e st"));
    }

    [Fact]
    public void Tab_WhereAChannelGoes_CompletesTheNotifyChannels()
    {
        // Beside the example's files, which the matrix names (an invalid matrix completes nothing).
        using var example = TempDir.CopyOfExample();
        var matrix = Path.Combine(example.Path, "notify.yaml");
        File.WriteAllText(matrix, File.ReadAllText(RepoPaths.Example).Replace("\ngate:", "\nnotify:\n  - { name: ops-slack, kind: slack, url-env: SLACK_URL }\n  - { name: oncall, kind: google-chat, url-env: CHAT_URL }\ngate:", StringComparison.Ordinal));

        // CHANNEL is optional, so the command's options are offered beside the channels.
        var candidates = Complete($"deploymatrix --file {matrix} notify test ");
        Assert.Contains("oncall", candidates);
        Assert.Contains("ops-slack", candidates);
        Assert.DoesNotContain("runtime", candidates);
        Assert.Equal(["ops-slack"], Complete($"deploymatrix --file {matrix} notify deliveries --channel op"));
    }

    [Fact]
    public void Tab_WithNoMatrixAround_CompletesNoNames_AndPrintsNothing()
    {
        var (code, output) = Bash(Call("deploymatrix deploy "), workingDirectory: _bin.Path);

        Assert.Equal(0, code);
        Assert.DoesNotContain("runtime", output, StringComparison.Ordinal);
        Assert.DoesNotContain("deploymatrix:", output, StringComparison.Ordinal);
    }

    public void Dispose() => _bin.Dispose();

    private string[] Complete(string line)
    {
        var (code, output) = Bash(Call(line));
        Assert.True(code == 0, output);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>What bash does on TAB at the end of <paramref name="line"/>: split it into words, then call the function with the command's name.</summary>
    private static string Call(string line) => $$"""
        COMP_LINE='{{line}}'
        COMP_POINT=${#COMP_LINE}
        read -ra COMP_WORDS <<< "$COMP_LINE"
        [[ "$COMP_LINE" == *' ' ]] && COMP_WORDS+=('')
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        _deploymatrix_complete deploymatrix
        printf '%s\n' "${COMPREPLY[@]}"
        """;

    /// <summary>Runs <paramref name="script"/> in a bash that has sourced the generated completion script.</summary>
    private (int Code, string Output) Bash(string script, string? workingDirectory = null)
    {
        var generated = CliRun.InRepo("completion", "bash");
        Assert.Equal(0, generated.ExitCode);
        var file = Path.Combine(_bin.Path, "completion.bash");
        File.WriteAllText(file, generated.Out);

        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(RepoPaths.Example)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("--norc");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"source '{file}'\n{script}");
        start.Environment["PATH"] = $"{_bin.Path}:{Environment.GetEnvironmentVariable("PATH")}";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("bash did not finish within a minute");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
