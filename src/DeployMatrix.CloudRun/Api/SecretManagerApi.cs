namespace DeployMatrix.CloudRun.Api;

/// <summary>Secret Manager v1: the calls maintenance mode needs to keep a bypass token it never reads back.</summary>
/// <remarks>A secret's <see cref="Secret.Labels"/> are part of the Secret resource (google.cloud.secretmanager.v1.Secret.labels), read back with it.</remarks>
public sealed class SecretManagerApi(GoogleHttp http, GoogleEndpoints endpoints)
{
    public static string SecretName(string project, string secretId) => $"projects/{Uri.EscapeDataString(project)}/secrets/{Uri.EscapeDataString(secretId)}";

    public Task<Secret?> GetSecretAsync(string name, CancellationToken ct) => http.GetOrNullAsync<Secret>(Url(name), ct);

    /// <summary>A secret replicated automatically, labelled as DeployMatrix's.</summary>
    public Task<Secret> CreateSecretAsync(string project, string secretId, IReadOnlyDictionary<string, string> labels, CancellationToken ct) =>
        http.SendAsync<Secret>(HttpMethod.Post, Url($"projects/{Uri.EscapeDataString(project)}/secrets?secretId={Uri.EscapeDataString(secretId)}"),
            new Secret { Replication = new Replication(new AutomaticReplication()), Labels = labels }, ct);

    /// <returns>The new version; its name ends in its number (<c>…/versions/N</c>).</returns>
    public Task<SecretVersion> AddVersionAsync(string secretName, byte[] data, CancellationToken ct) =>
        http.SendAsync<SecretVersion>(HttpMethod.Post, Url($"{secretName}:addVersion"), new AddSecretVersionRequest(new SecretPayload(Convert.ToBase64String(data))), ct);

    /// <summary>
    /// Grants <paramref name="member"/> (<c>serviceAccount:…</c>) <paramref name="role"/> on the secret, keeping
    /// every other binding: the policy is read, the member added, and written back with the etag it was
    /// read with; a concurrent change (409) is read again, up to 3 times (IAM's read-modify-write, google.iam.v1).
    /// </summary>
    /// <returns>False when the member held the role already.</returns>
    public Task<bool> GrantAsync(string secretName, string role, string member, CancellationToken ct) =>
        GoogleHttp.ReadModifyWriteAsync(async () =>
        {
            // Version 3 shows conditional bindings as they are; a lower version would hide their conditions,
            // and writing such a read back would make a conditional grant unconditional.
            var policy = await http.GetAsync<IamPolicy>(Url($"{secretName}:getIamPolicy?options.requestedPolicyVersion=3"), ct);
            var bindings = (policy.Bindings ?? []).ToList();
            var index = bindings.FindIndex(b => b.Role == role && b.Condition is null);
            if (index >= 0 && bindings[index].Members?.Contains(member) == true)
            {
                return false;
            }

            // Added to the role's unconditional binding (or a new one); conditional bindings are left as they are.
            bindings = index >= 0
                ? [.. bindings.Select((b, i) => i == index ? b with { Members = [.. b.Members ?? [], member] } : b)]
                : [.. bindings, new IamBinding(role, [member])];
            await http.SendAsync<IamPolicy>(HttpMethod.Post, Url($"{secretName}:setIamPolicy"), new SetIamPolicyRequest(policy with { Bindings = bindings }), ct);
            return true;
        });

    private Uri Url(string path) => new(endpoints.SecretManager, $"v1/{path}");
}

/// <summary>google.iam.v1.Policy: who holds which role; <see cref="Etag"/> guards read-modify-write. Fields not named here are kept as read.</summary>
public sealed record IamPolicy
{
    [System.Text.Json.Serialization.JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Extra { get; init; }

    public int? Version { get; init; }

    public IReadOnlyList<IamBinding>? Bindings { get; init; }

    public string? Etag { get; init; }
}

/// <summary>google.iam.v1.Binding; a <see cref="Condition"/> (google.type.Expr) limits when it applies.</summary>
public sealed record IamBinding(string Role, IReadOnlyList<string>? Members)
{
    [System.Text.Json.Serialization.JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Extra { get; init; }

    public System.Text.Json.JsonElement? Condition { get; init; }
}

public sealed record SetIamPolicyRequest(IamPolicy Policy);

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
