using System.Text.Json;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Api;

/// <summary>
/// The Cloud Run Admin API v2 calls the platform makes: services get/patch, revisions list, and the
/// long-running operations every mutation returns, polled with backoff up to a bound.
/// </summary>
public sealed partial class RunApi(GoogleHttp http, GoogleEndpoints endpoints, TimeProvider time)
{
    /// <value>The default bound on waiting for an operation is 10 minutes (a deploy that pulls a large image).</value>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <value>The default first poll comes after 1 s; later polls back off to 10 s.</value>
    public TimeSpan FirstPoll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The resource name; each part escaped as a URL segment (names are validated at load; this is the second line of defence).</summary>
    public static string ServiceName(string project, string region, string service) =>
        $"projects/{Uri.EscapeDataString(project)}/locations/{Uri.EscapeDataString(region)}/services/{Uri.EscapeDataString(service)}";

    public Task<RunService?> GetServiceAsync(string name, CancellationToken ct) => http.GetOrNullAsync<RunService>(Url(name), ct);

    /// <summary>The service, or a one-line failure saying it must be created once before it is managed.</summary>
    public async Task<RunService> RequireServiceAsync(string project, string region, string service, CancellationToken ct) =>
        await GetServiceAsync(ServiceName(project, region, service), ct)
        ?? throw new ServiceNotFoundException($"Cloud Run service {service} does not exist in {project}/{region}; create it once (gcloud run deploy) before DeployMatrix manages its revisions");

    /// <summary>
    /// The service's IAM policy (<c>GET /v2/{resource=projects/*/locations/*/services/*}:getIamPolicy</c>,
    /// google.iam.v1.Policy), at version 3 so conditional bindings show their conditions.
    /// </summary>
    public Task<IamPolicy> GetServiceIamPolicyAsync(string name, CancellationToken ct) =>
        http.GetAsync<IamPolicy>(Url($"{name}:getIamPolicy?options.requestedPolicyVersion=3"), ct);

    /// <summary>
    /// Which of <paramref name="permissions"/> the caller holds on a service or job
    /// (<c>POST /v2/{resource}:testIamPermissions</c>, google.iam.v1.TestIamPermissionsRequest/Response).
    /// </summary>
    /// <param name="resource">The service's or job's resource name (<see cref="ServiceName"/>, <see cref="JobName"/>).</param>
    /// <returns>The subset held; IAM leaves out the others.</returns>
    public async Task<IReadOnlyList<string>> TestIamPermissionsAsync(string resource, IReadOnlyList<string> permissions, CancellationToken ct) =>
        (await http.SendAsync<TestIamPermissionsMessage>(HttpMethod.Post, Url($"{resource}:testIamPermissions"), new TestIamPermissionsMessage(permissions), ct)).Permissions ?? [];

    /// <summary>
    /// Reads the service, applies <paramref name="change"/> and patches it with the etag it was read with;
    /// when Cloud Run refuses that as stale (409: someone changed the service in between), reads it again
    /// and applies the change to what is there now, up to <see cref="ConflictAttempts"/> times.
    /// </summary>
    /// <param name="change">The service to send, from the service as read (it keeps the read's etag).</param>
    /// <exception cref="PlatformException">The service is missing, or it kept changing under every attempt (naming the last refusal).</exception>
    public Task<RunService> ChangeServiceAsync(string name, Func<RunService, RunService> change, CancellationToken ct) =>
        GoogleHttp.ReadModifyWriteAsync(async () =>
        {
            var current = await GetServiceAsync(name, ct) ?? throw new PlatformException($"Cloud Run service {name} does not exist");
            return await UpdateServiceAsync(change(current), ct);
        }, ConflictAttempts);

    /// <value>The default is 3: one read and patch, and two more after concurrent changes.</value>
    public int ConflictAttempts { get; init; } = 3;

    /// <summary>Patches the service (its template, its traffic, or both) and waits until Cloud Run has applied it.</summary>
    public async Task<RunService> UpdateServiceAsync(RunService service, CancellationToken ct)
    {
        var operation = await http.SendAsync<Operation>(HttpMethod.Patch, Url(service.Name!), service, ct);
        var done = await WaitAsync(operation, ct);
        return done.Response is { } response
            ? response.Deserialize<RunService>(GoogleHttp.Json)!
            : throw new PlatformException($"operation {operation.Name} finished without the service");
    }

    public async Task<IReadOnlyList<RunRevision>> ListRevisionsAsync(string serviceName, CancellationToken ct)
    {
        var revisions = new List<RunRevision>();
        string? page = null;
        do
        {
            var url = Url($"{serviceName}/revisions" + (page is null ? "" : $"?pageToken={Uri.EscapeDataString(page)}"));
            var response = await http.GetAsync<ListRevisionsResponse>(url, ct);
            revisions.AddRange(response.Revisions ?? []);
            page = string.IsNullOrEmpty(response.NextPageToken) ? null : response.NextPageToken;
        }
        while (page is not null);

        return revisions;
    }

    /// <summary>The revision an update created after <paramref name="before"/> was read, when its Ready condition failed (read again after the update failed); null otherwise.</summary>
    public async Task<RunRevision?> FailedRevisionAsync(RunService before, CancellationToken ct)
    {
        var after = await GetServiceAsync(before.Name!, ct);
        if (after?.LatestCreatedRevision is not { } created || created == before.LatestCreatedRevision)
        {
            return null;
        }

        var revision = (await ListRevisionsAsync(before.Name!, ct)).FirstOrDefault(r => r.Name == created);
        // Failed, not merely still becoming ready (an operation that timed out may leave one reconciling).
        return revision?.Conditions?.Any(c => c.Type == "Ready" && c.State == "CONDITION_FAILED") == true ? revision : null;
    }

    /// <summary>Polls a long-running operation until it is done (backing off from 1 s to 10 s), or fails after <see cref="OperationTimeout"/>.</summary>
    /// <param name="allowError">Return a finished operation that failed instead of throwing (a job execution that failed).</param>
    public async Task<Operation> WaitAsync(Operation operation, CancellationToken ct, bool allowError = false)
    {
        var deadline = time.GetUtcNow() + OperationTimeout;
        var delay = FirstPoll;
        while (!operation.Done)
        {
            if (time.GetUtcNow() >= deadline)
            {
                throw new PlatformException($"operation {operation.Name} did not finish within {OperationTimeout.TotalMinutes:0.#} min; it may still complete — check with: gcloud run services describe");
            }

            await Task.Delay(delay, time, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            operation = await http.GetAsync<Operation>(Url(operation.Name!), ct);
        }

        return operation.Error is { } error && !allowError
            ? throw new PlatformException($"operation {operation.Name} failed: {error.Message} (code {error.Code})")
            : operation;
    }

    private Uri Url(string resource) => new(endpoints.Run, $"v2/{resource}");
}
