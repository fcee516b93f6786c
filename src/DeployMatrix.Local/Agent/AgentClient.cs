using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace DeployMatrix.Local.Agent;

/// <summary>The CLI's side of the agent API. Finds the agent through agent.json; every refusal becomes an <see cref="AgentException"/>.</summary>
public sealed class AgentClient : IDisposable
{
    private readonly HttpClient _http;

    private AgentClient(AgentInfo info)
    {
        Info = info;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(info.Url), Timeout = TimeSpan.FromMinutes(5) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", info.Token);
    }

    public AgentInfo Info { get; }

    /// <summary>The running agent for these paths, or null when none answers.</summary>
    public static async Task<AgentClient?> ConnectAsync(LocalPaths paths, CancellationToken cancellationToken)
    {
        if (!File.Exists(paths.AgentJson))
        {
            return null;
        }

        AgentInfo? info;
        try
        {
            info = JsonSerializer.Deserialize<AgentInfo>(await File.ReadAllTextAsync(paths.AgentJson, cancellationToken), AgentJson.Options);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }

        if (info is null)
        {
            return null;
        }

        var client = new AgentClient(info);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            using var response = await client._http.GetAsync(new Uri("/v1/health", UriKind.Relative), timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                return client;
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            // A stale agent.json from an agent that died.
        }

        client.Dispose();
        return null;
    }

    public Task<IReadOnlyList<ServiceView>> ServicesAsync(CancellationToken ct) => SendAsync<IReadOnlyList<ServiceView>>(HttpMethod.Get, "/v1/services", null, ct);

    public async Task<ServiceView?> ServiceAsync(string env, string service, CancellationToken ct)
    {
        try
        {
            return await SendAsync<ServiceView>(HttpMethod.Get, $"/v1/services/{Uri.EscapeDataString(env)}/{Uri.EscapeDataString(service)}", null, ct);
        }
        catch (AgentException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public Task<RevisionView> CreateRevisionAsync(CreateRevisionRequest request, CancellationToken ct) =>
        SendAsync<RevisionView>(HttpMethod.Post, "/v1/revisions", request, ct);

    public Task<ServiceView> SetTrafficAsync(string env, string service, IReadOnlyList<TrafficEntry> splits, CancellationToken ct) =>
        SendAsync<ServiceView>(HttpMethod.Put, $"/v1/services/{Uri.EscapeDataString(env)}/{Uri.EscapeDataString(service)}/traffic", new TrafficRequest(splits), ct);

    /// <summary>Stops these revisions of the service once they serve nothing (drained first), closing their own URLs.</summary>
    public Task<ServiceView> StopRevisionsAsync(string env, string service, IReadOnlyList<string> revisions, CancellationToken ct) =>
        SendAsync<ServiceView>(HttpMethod.Post, $"/v1/services/{Uri.EscapeDataString(env)}/{Uri.EscapeDataString(service)}/stop", new StopRevisionsRequest(revisions), ct);

    /// <summary>Has the agent apply the service's maintenance state (set in the state store first).</summary>
    public Task<ServiceView> ApplyMaintenanceAsync(string env, string service, CancellationToken ct) =>
        SendAsync<ServiceView>(HttpMethod.Put, $"/v1/services/{Uri.EscapeDataString(env)}/{Uri.EscapeDataString(service)}/maintenance", null, ct);

    /// <exception cref="AgentException">An execution of the job runs (409), or it cannot start (400).</exception>
    public Task<ExecutionView> StartExecutionAsync(StartExecutionRequest request, CancellationToken ct) =>
        SendAsync<ExecutionView>(HttpMethod.Post, "/v1/executions", request, ct);

    public Task<ExecutionView> ExecutionAsync(long id, CancellationToken ct) =>
        SendAsync<ExecutionView>(HttpMethod.Get, $"/v1/executions/{id}", null, ct);

    /// <summary>Stops the execution and waits until it has ended (SIGINT, the agent's grace period, then killed).</summary>
    public Task<ExecutionView> CancelExecutionAsync(long id, string reason, CancellationToken ct) =>
        SendAsync<ExecutionView>(HttpMethod.Post, $"/v1/executions/{id}/cancel", new CancelExecutionRequest(reason), ct);

    public async Task ShutdownAsync(CancellationToken ct) => await SendAsync<JsonElement>(HttpMethod.Post, "/v1/shutdown", null, ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: AgentJson.Options);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new AgentException(503, $"the agent at {Info.Url} did not answer ({e.Message}); start it with: deploymatrix agent start");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                var error = TryError(text) ?? $"agent answered {(int)response.StatusCode}";
                throw new AgentException((int)response.StatusCode, error);
            }

            return JsonSerializer.Deserialize<T>(text, AgentJson.Options)!;
        }
    }

    private static string? TryError(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<AgentError>(text, AgentJson.Options)?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
