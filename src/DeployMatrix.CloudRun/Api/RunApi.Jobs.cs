using System.Text.Json;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Api;

/// <summary>Cloud Run jobs: the seed's migration job — image update, run and wait, executions.</summary>
public sealed partial class RunApi
{
    /// <summary>The resource name; each part escaped as a URL segment (names are validated at load; this is the second line of defence).</summary>
    public static string JobName(string project, string region, string job) =>
        $"projects/{Uri.EscapeDataString(project)}/locations/{Uri.EscapeDataString(region)}/jobs/{Uri.EscapeDataString(job)}";

    public async Task<RunJob> GetJobAsync(string name, CancellationToken ct) =>
        await http.GetOrNullAsync<RunJob>(Url(name), ct)
        ?? throw new PlatformException($"Cloud Run job {name} does not exist; create it once (gcloud run jobs create) before deploying");

    /// <summary>Sets the image of the job's first container (the seed's <c>gcloud run jobs update --image</c>) and waits until applied.</summary>
    /// <remarks>Sent with the etag it was read with; a stale one (409) is read again and retried, as <see cref="ChangeServiceAsync"/> does.</remarks>
    /// <param name="command">The container's command (its entrypoint); null keeps the job's.</param>
    /// <param name="args">The container's arguments; null keeps the job's.</param>
    public Task<RunJob> UpdateJobImageAsync(string name, string image, IReadOnlyList<string>? command, IReadOnlyList<string>? args, CancellationToken ct) =>
        GoogleHttp.ReadModifyWriteAsync(async () =>
        {
            var job = await GetJobAsync(name, ct);
            var task = job.Template?.Template ?? new TaskTemplate();
            var containers = (task.Containers ?? [new RunContainer()]).ToList();
            containers[0] = containers[0] with { Image = image, Command = command ?? containers[0].Command, Args = args ?? containers[0].Args };
            var patched = job with { Template = (job.Template ?? new ExecutionTemplate()) with { Template = task with { Containers = containers } }, LatestCreatedExecution = null };
            var operation = await http.SendAsync<Operation>(HttpMethod.Patch, Url(name), patched, ct);
            var done = await WaitAsync(operation, ct);
            return done.Response?.Deserialize<RunJob>(GoogleHttp.Json) ?? throw new PlatformException($"operation {operation.Name} finished without the job");
        }, ConflictAttempts);

    /// <summary>Runs the job once and waits for its execution to finish (the seed's <c>gcloud run jobs execute --wait</c>).</summary>
    /// <param name="waitOnCancel">When <paramref name="ct"/> is cancelled: true awaits the execution; false cancels it (<c>executions:cancel</c>).</param>
    /// <exception cref="ExecutionCancelledException"><paramref name="ct"/> was cancelled; says what became of the execution.</exception>
    public async Task<RunExecution> RunJobAsync(string name, CancellationToken ct, bool waitOnCancel = false)
    {
        // Once sent, the run is not abandoned half-way: a cancel that lands while the answer is on its way
        // would lose the name of the execution it started, which then runs on unseen. Cancelled from the
        // answer on, the execution it names is stopped (or awaited) below.
        ct.ThrowIfCancellationRequested();
        var operation = await http.SendAsync<Operation>(HttpMethod.Post, Url($"{name}:run"), new RunJobRequest { Name = name }, CancellationToken.None);
        Operation done;
        try
        {
            done = await WaitAsync(operation, ct, allowError: true);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The execution runs on Google's side whatever happens to this process: stop it, or see it through.
            var execution = operation.Metadata?.Deserialize<RunExecution>(GoogleHttp.Json)?.Name
                ?? (await GetJobAsync(name, CancellationToken.None)).LatestCreatedExecution?.Name;
            if (execution is null)
            {
                throw;
            }

            var outcome = waitOnCancel ? await AwaitAsync(operation, execution) : await CancelAsync(execution);
            throw new ExecutionCancelledException(execution.Split('/')[^1], outcome, ct);
        }

        if (done.Response?.Deserialize<RunExecution>(GoogleHttp.Json) is { } ended)
        {
            return ended; // (a cancelled execution ends its operation without an error: its counts say so)
        }

        // A failed execution ends the operation with an error; the execution itself says how it failed.
        // It is the one this run started, named in the operation's metadata: another run may have
        // started since, so the job's latest execution need not be it.
        var own = operation.Metadata?.Deserialize<RunExecution>(GoogleHttp.Json)?.Name
            ?? done.Metadata?.Deserialize<RunExecution>(GoogleHttp.Json)?.Name
            ?? throw new PlatformException($"job {name} did not start: {done.Error?.Message}");
        return await http.GetAsync<RunExecution>(Url(own), ct);
    }

    /// <summary>Cancels a running execution and waits until Cloud Run reports it ended (Run Admin API v2, <c>Executions.CancelExecution</c>).</summary>
    /// <exception cref="PlatformException">Cloud Run refused or did not finish the cancel.</exception>
    public async Task<RunExecution?> CancelExecutionAsync(string execution, CancellationToken ct)
    {
        var operation = await http.SendAsync<Operation>(HttpMethod.Post, Url($"{execution}:cancel"), new CancelExecutionRequest { Name = execution }, ct);
        var done = await WaitAsync(operation, ct);
        return done.Response?.Deserialize<RunExecution>(GoogleHttp.Json);
    }

    private async Task<string> CancelAsync(string execution)
    {
        try
        {
            await CancelExecutionAsync(execution, CancellationToken.None);
            return "stopped";
        }
        catch (PlatformException e)
        {
            return $"could not be stopped ({e.Message}); stop it with: gcloud run jobs executions cancel {execution.Split('/')[^1]} --region {execution.Split('/')[3]}";
        }
    }

    private async Task<string> AwaitAsync(Operation operation, string execution)
    {
        try
        {
            var done = await WaitAsync(operation, CancellationToken.None, allowError: true);
            return done.Error is null ? "awaited: it succeeded" : $"awaited: it failed ({done.Error.Message})";
        }
        catch (PlatformException e)
        {
            return $"awaited without an end ({e.Message}); follow it with: gcloud run jobs executions describe {execution.Split('/')[^1]} --region {execution.Split('/')[3]}";
        }
    }

    public Task<RunExecution> GetExecutionAsync(string name, CancellationToken ct) => http.GetAsync<RunExecution>(Url(name), ct);
}
