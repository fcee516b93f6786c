namespace DeployMatrix.CloudRun.Api;

/// <summary>Secret Manager v1: the calls maintenance mode needs to keep a bypass token it never reads back.</summary>
public sealed class SecretManagerApi(GoogleHttp http, GoogleEndpoints endpoints)
{
    public static string SecretName(string project, string secretId) => $"projects/{project}/secrets/{secretId}";

    public Task<Secret?> GetSecretAsync(string name, CancellationToken ct) => http.GetOrNullAsync<Secret>(Url(name), ct);

    /// <summary>A secret replicated automatically, labelled as DeployMatrix's.</summary>
    public Task<Secret> CreateSecretAsync(string project, string secretId, IReadOnlyDictionary<string, string> labels, CancellationToken ct) =>
        http.SendAsync<Secret>(HttpMethod.Post, Url($"projects/{project}/secrets?secretId={Uri.EscapeDataString(secretId)}"),
            new Secret { Replication = new Replication(new AutomaticReplication()), Labels = labels }, ct);

    public Task<SecretVersion> AddVersionAsync(string secretName, byte[] data, CancellationToken ct) =>
        http.SendAsync<SecretVersion>(HttpMethod.Post, Url($"{secretName}:addVersion"), new AddSecretVersionRequest(new SecretPayload(Convert.ToBase64String(data))), ct);

    private Uri Url(string path) => new(endpoints.SecretManager, $"v1/{path}");
}

public sealed record Secret
{
    public string? Name { get; init; }

    public Replication? Replication { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

public sealed record Replication(AutomaticReplication? Automatic);

public sealed record AutomaticReplication;

public sealed record SecretVersion(string? Name, string? State);

public sealed record AddSecretVersionRequest(SecretPayload Payload);

/// <summary>The secret's bytes, base64 in JSON (protobuf <c>bytes</c>).</summary>
public sealed record SecretPayload(string Data);
