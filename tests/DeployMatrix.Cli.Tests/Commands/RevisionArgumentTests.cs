using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

/// <summary>
/// Revisions and tags given on the command line reach gcloud and the platforms' APIs: anything that is not one
/// revision of the target's service (or one valid tag) is refused with one line and exit 2, before a command
/// is printed or run — a value such as <c>a=1,b</c> would otherwise add entries to a traffic split.
/// </summary>
public sealed class RevisionArgumentTests
{
    [Fact]
    public void PlanSetTraffic_WithAStableThatInjectsSplitEntries_IsRefused_AndPrintsNoCommand()
    {
        var run = CliRun.InRepo("--file", "examples/openagents/deploymatrix.yaml", "plan", "openagents-control-service", "--env", "production",
            "--action", "set-traffic", "--percent", "5", "--stable", "a=1,b", "--canary", "c", "--format", "shell");

        Assert.Equal((2, ""), (run.ExitCode, run.Out));
        Assert.Equal(
            "deploymatrix: stable revision 'a=1,b' is not a revision of openagents-control-service: a revision name is the service's name, a hyphen and a suffix, in lower-case letters, digits and hyphens, ending with a letter or digit, at most 63 characters, e.g. openagents-control-service-00042-abc (see them with: deploymatrix status)",
            Assert.Single(run.ErrLines));
    }

    [Theory]
    [InlineData("--canary", "openagents-control-service-00002-abc,x=95")]
    [InlineData("--canary", "c")]
    [InlineData("--stable", "openagents-control-service-00001-abc=1")]
    [InlineData("--stable", "openagents-control-service-00001-abc --to-revisions x")]
    public void PlanSetTraffic_WithAnyRevisionThatIsNotOneOfTheService_IsRefusedWithExit2(string option, string value)
    {
        var run = CliRun.InRepo("--file", "examples/openagents/deploymatrix.yaml", "plan", "openagents-control-service", "--env", "production",
            "--action", "set-traffic", "--percent", "5", option, value, "--format", "shell");

        Assert.Equal((2, ""), (run.ExitCode, run.Out));
        Assert.Contains("is not a revision of openagents-control-service", Assert.Single(run.ErrLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("traffic", "--to", "runtime-staging-00001-abc=50,runtime-staging-00002-abc==50", "revision 'runtime-staging-00002-abc=' is not a revision of runtime-staging")]
    [InlineData("traffic", "--to", "runtime-00001-abc=100", "revision 'runtime-00001-abc' is not a revision of runtime-staging")]
    [InlineData("rollback", "--to", "runtime-staging-00001-abc=100,x", "revision 'runtime-staging-00001-abc=100,x' is not a revision of runtime-staging")]
    [InlineData("rollback", "--to", "runtime-staging-00001-abc\nrm -rf", "is not a revision of runtime-staging")]
    [InlineData("plan", "--stable", "runtime-staging-00001-abc=100,x", "revision 'runtime-staging-00001-abc=100,x' is not a revision of runtime-staging")]
    public void TrafficAndRollback_WithANameThatIsNoRevision_AreRefusedWithOneLine_BeforeAnyPlatformIsAsked(string command, string option, string value, string says)
    {
        using var repo = TempDir.CopyOfExample();

        var run = command == "plan"
            ? CliRun.Invoke(repo.Path, "plan", "runtime", "--env", "staging", "--action", "rollback", option, value)
            : CliRun.Invoke(repo.Path, command, "runtime", "--env", "staging", option, value);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrLines);
        Assert.Contains(says, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("gcloud", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("___")]
    [InlineData("-x")]
    [InlineData("a,b")]
    public void ATagThatMakesNoReleaseTag_IsRefusedWithTheRule(string tag)
    {
        var run = CliRun.InRepo("--file", "examples/openagents/deploymatrix.yaml", "plan", "runtime", "--env", "staging", "--tag", tag);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"deploymatrix: tag '{tag}' is not a valid image tag; use letters, digits, '_', '.', '-' (at most 128, not starting with '.' or '-', at least one letter or digit), e.g. the short git SHA", Assert.Single(run.ErrLines));
    }
}
