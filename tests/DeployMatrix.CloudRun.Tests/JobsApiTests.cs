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
        var updated = await _api.UpdateJobImageAsync(Job, Image, CancellationToken.None);
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
    public async Task AMissingJob_SaysHowToCreateIt()
    {
        var error = await Assert.ThrowsAsync<Engine.Platform.PlatformException>(() => _api.GetJobAsync(Job + "-nope", CancellationToken.None));

        Assert.Contains("does not exist; create it once (gcloud run jobs create)", error.Message, StringComparison.Ordinal);
    }
}
