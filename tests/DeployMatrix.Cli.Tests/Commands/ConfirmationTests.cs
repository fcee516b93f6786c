using System.Diagnostics;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

/// <summary>
/// A change to production asks at a terminal, and only there: the console is the injected one (stdin a terminal or
/// not, CI set or not), the command and the example matrix real. A deploy that is let through fails later, on the
/// local agent that is not running, which shows it went past the question.
/// </summary>
public sealed class ConfirmationTests : IDisposable
{
    private const string Prompt = "deploy runtime in production (production)? [y/N] ";
    private const string Refused = "deploymatrix: deploy runtime in production not confirmed; nothing was done (--yes confirms without asking)\n";
    private readonly TempDir _dir = TempDir.CopyOfExample();

    [Theory]
    [InlineData("n\n")]
    [InlineData("\n")]
    [InlineData("")]
    public void AtATerminal_AProductionDeploy_NotAnsweredYes_IsExit1_AndNothingWasDone(string answer)
    {
        var run = Deploy("production", answer, interactive: true);

        Assert.Equal((1, Prompt + Refused), (run.ExitCode, run.Err));
    }

    [Theory]
    [InlineData("y\n")]
    [InlineData("yes\n")]
    public void AtATerminal_AProductionDeploy_AnsweredYes_Proceeds(string answer)
    {
        var run = Deploy("production", answer, interactive: true);

        Assert.StartsWith(Prompt + "deploymatrix: the local agent is not running", run.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("production", false, false, null)]
    [InlineData("production", true, true, null)]
    [InlineData("production", true, false, "true")]
    [InlineData("staging", true, false, null)]
    public void WithYes_OrNoTerminal_OrInCI_OrOutsideProduction_ItNeverAsks(string env, bool interactive, bool yes, string? ci)
    {
        var run = Deploy(env, "n\n", interactive, yes, ci);

        Assert.StartsWith("deploymatrix: the local agent is not running", run.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rollout abort runtime", "rollout", "abort", "runtime", "--reason", "x")]
    [InlineData("rollout promote runtime", "rollout", "promote", "runtime", "--reason", "x")]
    [InlineData("rollout resume runtime", "rollout", "resume", "runtime")]
    [InlineData("drill canary runtime", "drill", "canary", "runtime")]
    public void AtATerminal_CommandsThatMoveProductionTraffic_AskToo(string what, params string[] command)
    {
        var asked = Run([.. command, "--env", "production", "--platform", "local"], "n\n", interactive: true);
        var confirmed = Run([.. command, "--env", "production", "--platform", "local", "--yes"], "n\n", interactive: true);

        Assert.Equal((1, $"{what} in production (production)? [y/N] deploymatrix: {what} in production not confirmed; nothing was done (--yes confirms without asking)\n"),
            (asked.ExitCode, asked.Err));
        Assert.DoesNotContain("[y/N]", confirmed.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InARealProcess_OnAPseudoTerminal_TheQuestionIsAsked_AndNoIsExit1()
    {
        // script(1) gives the CLI a pseudo-terminal for stdin and stdout, as a person's shell would.
        var start = new ProcessStartInfo("script")
        {
            WorkingDirectory = _dir.Path,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-qec", $"dotnet '{typeof(CliApp).Assembly.Location}' deploy runtime --env production --platform local --tag abc1234", "/dev/null" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("CI");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.StandardInput.WriteAsync("n\n");
        await process.StandardInput.FlushAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the command did not finish within a minute");
        }

        var terminal = await stdout;
        Assert.Equal(1, process.ExitCode);
        Assert.Contains("[y/N] ", terminal, StringComparison.Ordinal);
        Assert.Contains("nothing was done", terminal, StringComparison.Ordinal);
        Assert.DoesNotContain("agent is not running", terminal, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();

    private CliRun Deploy(string env, string answer, bool interactive, bool yes = false, string? ci = null) =>
        Run(["deploy", "runtime", "--env", env, "--platform", "local", "--tag", "abc1234", .. yes ? new[] { "--yes" } : []], answer, interactive, ci);

    private CliRun Run(string[] args, string answer, bool interactive, string? ci = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(output, error, _dir.Path, TimeProvider.System)
        {
            In = new StringReader(answer),
            Interactive = interactive,
            Env = name => name == "CI" ? ci : Environment.GetEnvironmentVariable(name),
        };
        var code = CliApp.Run(args, context);
        return new CliRun(code, output.ToString(), error.ToString());
    }
}
