using System.Text.Json;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Api;

/// <summary>Cloud Run jobs: the seed's migration job — image update, run and wait, executions.</summary>
public sealed partial class RunApi
{
    public static string JobName(string project, string region, string job) => $"projects/{project}/locations/{region}/jobs/{job}";

    public async Task<RunJob> GetJobAsync(string name, CancellationToken ct) =>
        await http.GetOrNullAsync<RunJob>(Url(name), ct)
        ?? throw new PlatformException($"Cloud Run job {name} does not exist; create it once (gcloud run jobs create) before deploying");

    /// <summary>Sets the image of the job's first container (the seed's <c>gcloud run jobs update --image</c>) and waits until applied.</summary>
    public async Task<RunJob> UpdateJobImageAsync(string name, string image, CancellationToken ct)
    {
        var job = await GetJobAsync(name, ct);
        var task = job.Template?.Template ?? new TaskTemplate();
        var containers = (task.Containers ?? [new RunContainer()]).ToList();
        containers[0] = containers[0] with { Image = image };
        var patched = job with { Template = (job.Template ?? new ExecutionTemplate()) with { Template = task with { Containers = containers } }, LatestCreatedExecution = null };
        var operation = await http.SendAsync<Operation>(HttpMethod.Patch, Url(name), patched, ct);
        var done = await WaitAsync(operation, ct);
        return done.Response?.Deserialize<RunJob>(GoogleHttp.Json) ?? throw new PlatformException($"operation {operation.Name} finished without the job");
    }

    /// <summary>Runs the job once and waits for its execution to finish (the seed's <c>gcloud run jobs execute --wait</c>).</summary>
    public async Task<RunExecution> RunJobAsync(string name, CancellationToken ct)
    {
        var operation = await http.SendAsync<Operation>(HttpMethod.Post, Url($"{name}:run"), new RunJobRequest { Name = name }, ct);
        var done = await WaitAsync(operation, ct, allowError: true);
        if (done.Response?.Deserialize<RunExecution>(GoogleHttp.Json) is { } execution)
        {
            return execution;
        }

        // A failed execution ends the operation with an error; the execution itself says how it failed.
        var latest = (await GetJobAsync(name, ct)).LatestCreatedExecution?.Name
            ?? throw new PlatformException($"job {name} did not start: {done.Error?.Message}");
        return await http.GetAsync<RunExecution>(Url(latest), ct);
    }

    public Task<RunExecution> GetExecutionAsync(string name, CancellationToken ct) => http.GetAsync<RunExecution>(Url(name), ct);
}
