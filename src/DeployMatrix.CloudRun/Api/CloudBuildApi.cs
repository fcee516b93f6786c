using System.Text.Json.Nodes;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Api;

/// <summary>
/// Cloud Build v1: create a build (global, as <c>gcloud builds submit</c> without <c>--region</c>) and
/// poll its operation until the build ends, backing off from 2 s to 15 s, up to <see cref="BuildTimeout"/>.
/// </summary>
public sealed class CloudBuildApi(GoogleHttp http, GoogleEndpoints endpoints, TimeProvider time)
{
    /// <value>The default bound is one hour: longer than Cloud Build's own default build timeout of 10 minutes, so the build's own timeout speaks first.</value>
    public TimeSpan BuildTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <value>The default first poll comes after 2 s.</value>
    public TimeSpan FirstPoll { get; init; } = TimeSpan.FromSeconds(2);

    public Task<BuildOperation> CreateAsync(string project, JsonObject build, CancellationToken ct) =>
        http.SendAsync<BuildOperation>(HttpMethod.Post, new Uri(endpoints.CloudBuild, $"v1/projects/{Uri.EscapeDataString(project)}/builds"), build, ct);

    /// <summary>Polls until the operation is done and returns the finished build (whatever its status).</summary>
    public async Task<CloudBuild> WaitAsync(BuildOperation operation, Action<CloudBuild>? progress, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + BuildTimeout;
        var delay = FirstPoll;
        string? lastStatus = null;
        while (!operation.Done)
        {
            if (operation.Metadata?.Build is { } running && running.Status != lastStatus)
            {
                lastStatus = running.Status;
                progress?.Invoke(running);
            }

            if (time.GetUtcNow() >= deadline)
            {
                throw new PlatformException($"build operation {operation.Name} did not finish within {(BuildTimeout < TimeSpan.FromMinutes(1) ? $"{BuildTimeout.TotalSeconds:0.#} s" : $"{BuildTimeout.TotalMinutes:0} min")}; it may still complete — check with: gcloud builds list");
            }

            await Task.Delay(delay, time, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(15).Ticks));
            operation = await http.GetAsync<BuildOperation>(new Uri(endpoints.CloudBuild, $"v1/{operation.Name}"), ct);
        }

        // A failed build ends the operation with an error and the build (with its status) in the metadata.
        return operation.Response ?? operation.Metadata?.Build
            ?? throw new PlatformException($"build operation {operation.Name} failed: {operation.Error?.Message ?? "no build in the answer"}");
    }
}
