using System.Text.Json;
using DeployMatrix.Engine.Processes;
using DeployMatrix.FunctionalTests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// A Cloud Run deploy interrupted while its migration job's execution runs, with the CLI as its own
/// process: the execution runs on Google's side whatever happens to the CLI, so a cancel must cancel it
/// there (<c>executions:cancel</c>), or, with <c>--wait-on-cancel</c>, see it through.
/// </summary>
public sealed class CloudRunCancellationTests : CloudRunExampleTests
{
    private const string StagingJob = "projects/openagentsgemini/locations/us-central1/jobs/runtime-migrate-staging";

    [Fact]
    public async Task SigintDuringTheMigration_CancelsTheExecutionOnCloudRun_AndRecordsTheCancel()
    {
        Google.RunningJobs["runtime-migrate-staging"] = true;
        await using var cli = CliProcess.Start(Dir.Path, Env, "--platform", "cloudrun", "deploy", "runtime", "--env", "staging", "--tag", "bbb2222");
        var execution = await RunningExecutionAsync(cli);
        cli.Signal(Signals.SigInt);
        var code = await cli.ExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(code == 130, $"exit {code}\n{cli.Out}\n{cli.Err}");
        Assert.Equal(execution, Assert.Single(Google.CancelledExecutions));
        Assert.Equal("EXECUTION_CANCELLED", Google.Job(StagingJob)["latestCreatedExecution"]!["completionStatus"]!.GetValue<string>());
        var receipt = StagingReceipt();
        Assert.EndsWith($"(execution {execution.Split('/')[^1]} stopped)", receipt.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(execution.Split('/')[^1], receipt.GetProperty("migrate_execution").GetString());
        Assert.Contains("cancelled", Cli("history", "--limit", "3").Out, StringComparison.Ordinal);
        Assert.Equal(0, Cli("audit", "verify").ExitCode);

        // Nothing runs any more, so the next deploy starts its own execution at once and completes.
        Google.RunningJobs.Clear();
        var again = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222");
        Assert.True(again.ExitCode == 0, again.ToString());
    }

    [Fact]
    public async Task WithWaitOnCancel_ASigtermAwaitsTheExecution_AndCancelsNothing()
    {
        Google.RunningJobs["runtime-migrate-staging"] = true;
        await using var cli = CliProcess.Start(Dir.Path, Env, "--platform", "cloudrun", "deploy", "runtime", "--env", "staging", "--tag", "bbb2222", "--wait-on-cancel");
        var execution = await RunningExecutionAsync(cli);
        cli.Signal(Signals.SigTerm);
        await Task.Delay(500);
        Assert.Empty(Google.CancelledExecutions);
        Google.RunningJobs.Clear(); // the execution ends by itself
        var code = await cli.ExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(code == 143, $"exit {code}\n{cli.Out}\n{cli.Err}");
        Assert.Empty(Google.CancelledExecutions);
        Assert.EndsWith($"(execution {execution.Split('/')[^1]} awaited: it succeeded)", StagingReceipt().GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private JsonElement StagingReceipt() => ReceiptFiles.Only(Dir.Path, "runtime", "staging", "deploy");

    /// <summary>The staging job's execution once the deploy has started it (bounded: 60 s).</summary>
    private async Task<string> RunningExecutionAsync(CliProcess cli)
    {
        for (var i = 0; i < 600; i++)
        {
            if (Google.Job(StagingJob)["latestCreatedExecution"]?["name"]?.GetValue<string>() is { } name)
            {
                return name;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the deploy never started the migration\n{cli.Out}\n{cli.Err}");
    }
}
