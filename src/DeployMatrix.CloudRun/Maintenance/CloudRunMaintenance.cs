using System.Text;
using System.Text.Json;
using DeployMatrix.CloudRun.Api;
using DeployMatrix.Core.Maintenance;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Maintenance;

/// <summary>What a service looked like before maintenance, to put back on disable.</summary>
public sealed record ServiceSnapshot(string? Image, IReadOnlyList<TrafficTarget> Traffic);

/// <summary>
/// Maintenance mode on Cloud Run, where no proxy of ours stands in front: the service is told through
/// its environment (<see cref="Variables"/>) and answers 503 itself, keeping health probes and holders of
/// a valid bypass cookie (<see cref="BypassCookie"/>) let through. The bypass token lives in a Secret
/// Manager secret the revision reads as an environment variable; it is created once and never read back.
/// Enabling serves a maintenance revision of the image that served most traffic, with all traffic;
/// disabling restores the template's image and the exact split from before.
/// </summary>
public sealed class CloudRunMaintenance(RunApi run, SecretManagerApi secrets)
{
    public const string Flag = "DEPLOYMATRIX_MAINTENANCE";
    public const string MessageVariable = "DEPLOYMATRIX_MAINTENANCE_MESSAGE";
    public const string RetryAfterVariable = "DEPLOYMATRIX_MAINTENANCE_RETRY_AFTER";
    public const string ScopeVariable = "DEPLOYMATRIX_MAINTENANCE_SCOPE";
    public const string TokenVariable = "DEPLOYMATRIX_MAINTENANCE_TOKEN";

    public static readonly string[] Variables = [Flag, MessageVariable, RetryAfterVariable, ScopeVariable, TokenVariable];

    public static string SecretId(string service) => $"{service}-maintenance-token";

    /// <returns>The snapshot to restore on disable (JSON), and the secret holding the token.</returns>
    public async Task<(string Snapshot, string Secret)> EnableAsync(TargetRef target, string message, int retryAfterSeconds, CancellationToken ct)
    {
        var secret = await EnsureSecretAsync(target, ct);
        var service = await run.RequireServiceAsync(target.Project!, target.Region!, target.Service, ct);
        var containers = Containers(service);
        var snapshot = JsonSerializer.Serialize(new ServiceSnapshot(containers[0].Image, service.Traffic ?? []), GoogleHttp.Json);
        var serving = await ServingImageAsync(service, ct) ?? containers[0].Image;
        containers[0] = containers[0] with
        {
            Image = serving,
            Env =
            [
                .. Without(containers[0].Env),
                new EnvVar { Name = Flag, Value = "1" },
                new EnvVar { Name = MessageVariable, Value = message },
                new EnvVar { Name = RetryAfterVariable, Value = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                new EnvVar { Name = ScopeVariable, Value = $"{target.Environment}/{target.Service}" },
                new EnvVar { Name = TokenVariable, ValueSource = new EnvVarSource(new SecretKeySelector(secret, "latest")) },
            ],
        };
        await run.UpdateServiceAsync(service with
        {
            Template = service.Template! with { Revision = null, Containers = containers },
            Traffic = [new TrafficTarget { Type = TrafficTarget.ToLatest, Percent = 100 }],
        }, ct);
        return (snapshot, secret);
    }

    public async Task DisableAsync(TargetRef target, string? snapshotJson, CancellationToken ct)
    {
        var service = await run.RequireServiceAsync(target.Project!, target.Region!, target.Service, ct);
        var snapshot = snapshotJson is null ? null : JsonSerializer.Deserialize<ServiceSnapshot>(snapshotJson, GoogleHttp.Json);
        var containers = Containers(service);
        containers[0] = containers[0] with { Image = snapshot?.Image ?? containers[0].Image, Env = Without(containers[0].Env) };
        await run.UpdateServiceAsync(service with
        {
            Template = service.Template! with { Revision = null, Containers = containers },
            Traffic = snapshot?.Traffic is { Count: > 0 } traffic ? traffic : [new TrafficTarget { Type = TrafficTarget.ToLatest, Percent = 100 }],
        }, ct);
    }

    /// <summary>Whether the service's template has maintenance on (what new revisions will do).</summary>
    public async Task<bool> IsEnabledAsync(TargetRef target, CancellationToken ct)
    {
        var service = await run.RequireServiceAsync(target.Project!, target.Region!, target.Service, ct);
        return Containers(service)[0].Env?.Any(e => e.Name == Flag && e.Value == "1") == true;
    }

    private async Task<string> EnsureSecretAsync(TargetRef target, CancellationToken ct)
    {
        var name = SecretManagerApi.SecretName(target.Project!, SecretId(target.Service));
        if (await secrets.GetSecretAsync(name, ct) is null)
        {
            await secrets.CreateSecretAsync(target.Project!, SecretId(target.Service), new Dictionary<string, string> { ["managed-by"] = "deploymatrix" }, ct);
            await secrets.AddVersionAsync(name, Encoding.UTF8.GetBytes(BypassCookie.NewToken()), ct);
        }

        return name;
    }

    private async Task<string?> ServingImageAsync(RunService service, CancellationToken ct)
    {
        var serving = (service.TrafficStatuses ?? []).Where(t => t.Percent > 0).OrderByDescending(t => t.Percent).FirstOrDefault()?.Revision;
        var revisions = await run.ListRevisionsAsync(service.Name!, ct);
        return revisions.FirstOrDefault(r => r.Name?.Split('/')[^1] == serving)?.Containers?.FirstOrDefault()?.Image;
    }

    private static List<RunContainer> Containers(RunService service) =>
        (service.Template?.Containers is { Count: > 0 } containers ? containers : throw new PlatformException($"{service.Name} has no container in its template")).ToList();

    private static IReadOnlyList<EnvVar> Without(IReadOnlyList<EnvVar>? env) => [.. (env ?? []).Where(e => !Variables.Contains(e.Name))];
}
