using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Completion;

/// <summary>
/// The zsh and fish scripts, checked by their text (no zsh or fish on the machines these tests run on): each
/// registers for deploymatrix and asks the command itself through the [suggest] directive with the line so far.
/// </summary>
public sealed class CompletionScriptTests
{
    [Theory]
    [InlineData("zsh", "compdef _deploymatrix_complete deploymatrix", "\"[suggest:${#BUFFER}]\" \"$BUFFER\"")]
    [InlineData("fish", "complete -c deploymatrix -f -a '(__deploymatrix_complete)'", "\"[suggest:\"(string length -- \"$line\")\"]\" \"$line\"")]
    [InlineData("bash", "complete -o default -F _deploymatrix_complete deploymatrix", "\"[suggest:${COMP_POINT}]\" \"${COMP_LINE}\"")]
    public void EachScript_RegistersForDeploymatrix_AndAsksItThroughTheSuggestDirective(string shell, string registration, string call)
    {
        var run = CliRun.InRepo("completion", shell);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(registration, run.Out.Split('\n'));
        Assert.Contains(call, run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherShell_IsExit2NamingTheShellsThereAre()
    {
        var run = CliRun.InRepo("completion", "powershell");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("bash", run.Err, StringComparison.Ordinal);
        Assert.Contains("fish", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSuggestDirective_ListsCandidatesOnly_EvenForALineThatDoesNotParseYet()
    {
        var run = CliRun.Invoke(Path.GetDirectoryName(RepoPaths.Example)!, "[suggest:24]", "deploymatrix rollback ru");

        Assert.Equal((0, "runtime"), (run.ExitCode, run.Out.Trim()));
        Assert.Empty(run.Err);
    }
}
