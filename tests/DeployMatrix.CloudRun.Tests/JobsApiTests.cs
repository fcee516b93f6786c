using DeployMatrix.CloudRun.Api;
using DeployMatrix.CloudRun.Tests.Support;
using DeployMatrix.Tests.GoogleDouble;

namespace DeployMatrix.CloudRun.Tests;

/// <summary>The seed's migration job through the Admin API: update its image, run it, read how it ended.</summary>
public sealed class JobsApiTests : IAsyncLifetime
{
    private const string Job = "projects/openagentsgemini/locations/us-central1/jobs/runtime-migrate";
    private const string Image = "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:bbb2222";
    private DoubleConnection _connection = null!;
    private CloudRunDouble _double = null!;
    private RunApi _api = null!;

    public async Task InitializeAsync()
    {
        _connection = await DoubleConnection.StartAsync();
        (_double, _api) = (_connection.Fake, _connection.Run);
        _double.AddJob("openagentsgemini", "us-central1", "runtime-migrate", "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:aaa1111");
    }

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task TheJobRunsTheImageItWasUpdatedTo_AndItsExecutionSucceeds()
    {
        var updated = await _api.UpdateJobImageAsync(Job, Image, null, null, CancellationToken.None);
        var execution = await _api.RunJobAsync(Job, CancellationToken.None);
        var job = await _api.GetJobAsync(Job, CancellationToken.None);

        Assert.Equal(Image, updated.Template!.Template!.Containers![0].Image);
        Assert.Equal(Image, execution.Template!.Containers![0].Image);
        Assert.Equal(1, execution.SucceededCount);
        Assert.Equal(execution.Name, job.LatestCreatedExecution!.Name);
        Assert.Equal("EXECUTION_SUCCEEDED", job.LatestCreatedExecution.CompletionStatus);
    }

    [Fact]
    public async Task AFailedExecution_IsReturnedWithItsFailure_AndWhereItsLogsAre()
    {
        _double.FailingJobs["runtime-migrate"] = true;

        var execution = await _api.RunJobAsync(Job, CancellationToken.None);

        Assert.Equal(1, execution.FailedCount);
        Assert.Equal("CONDITION_FAILED", execution.Conditions!.Single().State);
        Assert.StartsWith("https://console.cloud.google.com/logs/viewer?", execution.LogUri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACancelledRun_CancelsItsExecution_OnCloudRun_AndSaysSo()
    {
        _double.RunningJobs["runtime-migrate"] = true;
        using var cancel = new CancellationTokenSource();

        var run = _api.RunJobAsync(Job, cancel.Token);
        var started = await UntilStartedAsync();
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAsync<Engine.Platform.ExecutionCancelledException>(() => run);

        Assert.Equal(($"execution {started.Split('/')[^1]} stopped", started), (error.Message, Assert.Single(_double.CancelledExecutions)));
        var execution = await _api.GetExecutionAsync(started, CancellationToken.None);
        Assert.Equal((1, "CANCELLED"), (execution.CancelledCount, execution.Conditions!.Single().ExecutionReason));
        Assert.Equal("EXECUTION_CANCELLED", (await _api.GetJobAsync(Job, CancellationToken.None)).LatestCreatedExecution!.CompletionStatus);
    }

    [Fact]
    public async Task ACancelledRun_WithWaitOnCancel_AwaitsItsExecution_AndCancelsNothing()
    {
        _double.RunningJobs["runtime-migrate"] = true;
        using var cancel = new CancellationTokenSource();

        var run = _api.RunJobAsync(Job, cancel.Token, waitOnCancel: true);
        var started = await UntilStartedAsync();
        await cancel.CancelAsync();
        await Task.Delay(100);
        Assert.False(run.IsCompleted, "it waits for the execution, which is still running");
        _double.RunningJobs.Clear();
        var error = await Assert.ThrowsAsync<Engine.Platform.ExecutionCancelledException>(() => run);

        Assert.Equal($"execution {started.Split('/')[^1]} awaited: it succeeded", error.Message);
        Assert.Empty(_double.CancelledExecutions);
        Assert.Equal(1, (await _api.GetExecutionAsync(started, CancellationToken.None)).SucceededCount);
    }

    [Fact]
    public async Task AFailedRun_IsReadAsItsOwnExecution_NotTheJobsLatest()
    {
        // Two runs side by side (Cloud Run allows it): the first fails, the second, started later, succeeds.
        _double.RunningJobs["runtime-migrate"] = true;
        _double.TaskOutcomes["runtime-migrate"] = (0, 1, 0);
        var first = _api.RunJobAsync(Job, CancellationToken.None);
        var firstName = await UntilStartedAsync();
        _double.TaskOutcomes["runtime-migrate"] = (1, 0, 0);
        var second = _connection.RunApi().RunJobAsync(Job, CancellationToken.None);
        while ((await _api.GetJobAsync(Job, CancellationToken.None)).LatestCreatedExecution!.Name == firstName)
        {
            await Task.Delay(10);
        }

        _double.RunningJobs.Clear();
        var (failed, succeeded) = (await first, await second);

        Assert.Equal((firstName, 1), (failed.Name, failed.FailedCount));
        Assert.Equal(1, succeeded.SucceededCount);
    }

    [Fact]
    public async Task AFinishedExecution_CannotBeCancelled()
    {
        var execution = await _api.RunJobAsync(Job, CancellationToken.None);

        var error = await Assert.ThrowsAnyAsync<Engine.Platform.PlatformException>(() => _api.CancelExecutionAsync(execution.Name!, CancellationToken.None));

        Assert.Contains("has already completed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingJob_SaysHowToCreateIt()
    {
        var error = await Assert.ThrowsAnyAsync<Engine.Platform.PlatformException>(() => _api.GetJobAsync(Job + "-nope", CancellationToken.None));

        Assert.Contains("does not exist; create it once (gcloud run jobs create)", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The execution the run started, once the double has it (bounded: 5 s).</summary>
    private async Task<string> UntilStartedAsync()
    {
        for (var i = 0; i < 500; i++)
        {
            if (_double.Job(Job)["latestCreatedExecution"]?["name"]?.GetValue<string>() is { } name)
            {
                return name;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException("the run never started an execution");
    }
}
