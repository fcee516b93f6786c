using DeployMatrix.Cli.Common;
using DeployMatrix.Engine.Recording;
using Microsoft.Extensions.Time.Testing;

namespace DeployMatrix.Cli.Tests.Commands;

/// <summary>
/// A long step shows its elapsed time while it waits; a short one prints as before. The clock is a fake one, moved a
/// timer period at a time (a fake timer fires once per move, at the time the move ends).
/// </summary>
public sealed class ElapsedStepReporterTests
{
    private static readonly StepOutcome Done = new(1, "migrate", "run the migration", true, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    [Fact]
    public void InALog_ALongStep_PrintsALineEvery30s_ThenItsNameWithItsResult()
    {
        var (time, output) = (new FakeTimeProvider(), new StringWriter());
        var reporter = new ElapsedStepReporter(new ConsoleReporter(output), output, time, terminal: false);

        reporter.StepStarted(1, 2, "run the migration");
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal("[1/2] run the migration … ", output.ToString());
        time.Advance(TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(15));
        reporter.StepFinished(Done);

        Assert.Equal("[1/2] run the migration … \n  … still running after 30s\n  … still running after 1m\n[1/2] run the migration … ok\n", output.ToString());
    }

    [Fact]
    public void AtATerminal_ALongStep_RedrawsItsLineWithTheElapsedTime_AfterAFewSeconds()
    {
        var (time, output) = (new FakeTimeProvider(), new StringWriter());
        var reporter = new ElapsedStepReporter(new ConsoleReporter(output), output, time, terminal: true);

        reporter.StepStarted(1, 2, "run the migration");
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal("[1/2] run the migration … ", output.ToString());
        time.Advance(TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(1));
        reporter.StepFinished(Done);

        const string Line = "\r\u001b[K[1/2] run the migration … ";
        Assert.Equal($"[1/2] run the migration … {Line}5s{Line}6s{Line}ok\n", output.ToString());
    }

    [Fact]
    public void AShortStep_PrintsAsBefore_AndNothingComesAfterIt()
    {
        var (time, output) = (new FakeTimeProvider(), new StringWriter());
        var reporter = new ElapsedStepReporter(new ConsoleReporter(output), output, time, terminal: false);

        reporter.StepStarted(1, 2, "run the migration");
        time.Advance(TimeSpan.FromSeconds(2));
        reporter.StepFinished(Done);
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal("[1/2] run the migration … ok\n", output.ToString());
    }
}
