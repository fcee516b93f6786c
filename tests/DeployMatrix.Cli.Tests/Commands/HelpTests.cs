using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

/// <summary>--help is generated from the same option objects the commands read, and every option is described.</summary>
public sealed class HelpTests
{
    public static TheoryData<string> CommandNames() =>
        [.. CliApp.Build(new CliContext(TextWriter.Null, TextWriter.Null, ".", TimeProvider.System)).Subcommands.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(CommandNames))]
    public void Help_ForEveryCommand_ShowsItsDescriptionAndEveryOption(string name)
    {
        var command = CliApp.Build(new CliContext(TextWriter.Null, TextWriter.Null, ".", TimeProvider.System)).Subcommands.Single(c => c.Name == name);

        var run = CliRun.InRepo(name, "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(command.Description!, run.Out.ReplaceLineEndings(" "), StringComparison.Ordinal);
        foreach (var option in command.Options)
        {
            Assert.Contains(option.Name, run.Out, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{name} {option.Name} has no description");
        }

        foreach (var argument in command.Arguments)
        {
            Assert.False(string.IsNullOrWhiteSpace(argument.Description), $"{name} {argument.Name} has no description");
        }
    }

    [Fact]
    public void Help_AtTheRoot_ListsTheCommands()
    {
        var run = CliRun.InRepo("--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var name in new[] { "validate", "render", "plan", "guard" })
        {
            Assert.Contains(name, run.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void UnknownCommand_IsOneLineWithASuggestionAndExit2()
    {
        var run = CliRun.InRepo("valdiate");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("did you mean 'validate'?", Assert.Single(run.ErrLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("history", "--limit", "abc")]
    [InlineData("notify deliveries", "--limit", "5x")]
    public void NumberOptionGivenText_SaysAWholeNumberInsteadOfTheTypeName(string command, string option, string value)
    {
        var run = CliRun.InRepo([.. command.Split(' '), option, value]);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrLines);
        Assert.Equal($"deploymatrix: option '{option}' takes a whole number, not '{value}' (see 'deploymatrix {command} --help')", line);
    }

    [Theory]
    [InlineData("history --limit 99999999999", "option '--limit' takes a whole number up to 2147483647, not '99999999999'", "history")]
    [InlineData("plan runtime --env staging --action set-traffic --percent abc", "option '--percent' takes a whole number, not 'abc'", "plan")]
    [InlineData("history --stesp", "unknown option '--stesp'; did you mean '--steps'?", "history")]
    [InlineData("status --bogus", "unknown option '--bogus'", "status")]
    [InlineData("validate --bogus", "unknown option '--bogus'", "validate")]
    [InlineData("deploy --bogus runtime --env staging", "unknown option '--bogus'", "deploy")]
    [InlineData("status --lock-wait -5", "--lock-wait -5 is out of range; give seconds from 0 (do not wait) to 86400", "status")]
    public void AMistypedOptionOrNumber_IsNamedAsSuch(string line, string message, string command)
    {
        var run = CliRun.InRepo(line.Split(' '));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"deploymatrix: {message} (see 'deploymatrix {command} --help')", Assert.Single(run.ErrLines));
    }
}
