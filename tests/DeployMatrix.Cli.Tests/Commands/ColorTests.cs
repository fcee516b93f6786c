using DeployMatrix.Cli.Common;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

/// <summary>Colour at a terminal only, and off with NO_COLOR (any non-empty value) or --no-color.</summary>
public sealed class ColorTests
{
    [Theory]
    [InlineData(true, null, false, true)]
    [InlineData(true, "", false, true)]
    [InlineData(true, "1", false, false)]
    [InlineData(true, "false", false, false)]
    [InlineData(true, null, true, false)]
    [InlineData(false, null, false, false)]
    public void Colour_IsOnAtATerminal_UnlessNoColorOrTheFlagSaysNo(bool terminal, string? noColor, bool flag, bool expected)
    {
        var context = new CliContext(TextWriter.Null, TextWriter.Null, RepoPaths.Root, TimeProvider.System)
        {
            Color = terminal,
            Env = name => name == "NO_COLOR" ? noColor : null,
        };
        var root = CliApp.Build(context);
        var result = root.Parse(flag ? ["status", "--no-color"] : ["status"]);

        Assert.Empty(result.Errors);
        Assert.Equal(expected, Palette.Enabled(result, context));
    }

    [Fact]
    public void AColouredReporter_PaintsOkGreenAndFailedRed_AndAPlainOneWritesNoEscape()
    {
        using var coloured = new StringWriter();
        using var plain = new StringWriter();
        foreach (var (writer, color) in new[] { (coloured, true), (plain, false) })
        {
            var reporter = new ConsoleReporter(writer, color);
            reporter.StepStarted(1, 2, "start the revision");
            reporter.StepFinished(new StepOutcome(1, "deploy", "start the revision", true, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch));
            reporter.StepStarted(2, 2, "smoke-check it");
            reporter.StepFinished(new StepOutcome(2, "smoke", "smoke-check it", false, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch));
        }

        Assert.Equal("[1/2] start the revision … \u001b[32mok\u001b[0m\n[2/2] smoke-check it … \u001b[31mFAILED\u001b[0m\n", coloured.ToString());
        Assert.Equal("[1/2] start the revision … ok\n[2/2] smoke-check it … FAILED\n", plain.ToString());
    }

    [Fact]
    public void NoColor_IsInEveryCommandsHelp()
    {
        Assert.Contains("--no-color", CliRun.InRepo("deploy", "--help").Out, StringComparison.Ordinal);
        Assert.Contains("--no-color", CliRun.InRepo("status", "--help").Out, StringComparison.Ordinal);
    }
}
