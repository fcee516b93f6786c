using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

/// <summary><c>rehearse</c>'s arguments: a hold that is not a duration and one of no length are refused apart, each with one line and exit 2, before anything starts.</summary>
public sealed class RehearseArgumentTests
{
    [Theory]
    [InlineData("0s", "deploymatrix: --dwell 0s: each stage must be held a while; give more than 0, like 500ms or 3s")]
    [InlineData("soon", "deploymatrix: --dwell 'soon' is not a duration; write it like 500ms or 3s")]
    public void ADwellThatIsNoDuration_OrNone_IsRefusedInOneLine(string dwell, string message)
    {
        var run = CliRun.InRepo("--file", "examples/openagents/deploymatrix.yaml", "--platform", "local", "rehearse", "runtime", "--tag", "t1", "--dwell", dwell);

        Assert.Equal((2, ""), (run.ExitCode, run.Out));
        Assert.Equal(message, Assert.Single(run.ErrLines));
    }
}
