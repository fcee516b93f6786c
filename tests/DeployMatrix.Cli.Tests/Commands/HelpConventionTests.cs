using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

/// <summary>Help as people expect it from git, kubectl or gcloud; a typo is never a success.</summary>
public sealed class HelpConventionTests
{
    [Fact]
    public void BareDeploymatrix_PrintsTheHelp_AndExits0()
    {
        var run = CliRun.InRepo();

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Usage:", run.Out, StringComparison.Ordinal);
        Assert.Contains("dashboard", run.Out, StringComparison.Ordinal);
        Assert.Empty(run.Err);
    }

    [Fact]
    public void HelpCommand_IsThatCommandsHelp()
    {
        var help = CliRun.InRepo("help", "dashboard");

        Assert.Equal((0, CliRun.InRepo("dashboard", "--help").Out), (help.ExitCode, help.Out));
        Assert.Contains(" dashboard [options]", help.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deploi", "--help")]
    [InlineData("help", "deploi")]
    public void AnUnknownCommand_IsExit2WithASuggestion_WithOrWithoutHelp(params string[] args)
    {
        var run = CliRun.InRepo(args);

        Assert.Equal((2, "deploymatrix: unknown command 'deploi'; did you mean 'deploy'? (see 'deploymatrix --help')\n"), (run.ExitCode, run.Err));
        Assert.Empty(run.Out);
    }
}
