using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>Secret Manager v1 in the double: secrets, their versions' payloads, and Cloud Run's check that a referenced secret exists.</summary>
public sealed partial class CloudRunDouble
{
    private readonly ConcurrentDictionary<string, JsonObject> _secrets = new(StringComparer.Ordinal);

    /// <summary>Each secret's versions' payloads (decoded), oldest first.</summary>
    public ConcurrentDictionary<string, List<byte[]>> SecretVersions { get; } = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Secrets => [.. _secrets.Keys];

    private JsonObject? GetSecret(string name) => _secrets.TryGetValue(name, out var secret) ? secret.DeepClone().AsObject() : null;

    private JsonObject CreateSecret(string parent, string secretId, JsonObject body, out string? invalid)
    {
        var name = $"{parent}/secrets/{secretId}";
        invalid = _secrets.ContainsKey(name) ? $"Secret [{name}] already exists." : body["replication"] is null ? "Replication is required." : null;
        var secret = body.DeepClone().AsObject();
        secret["name"] = name;
        secret["createTime"] = "2026-11-26T12:00:00Z";
        if (invalid is null)
        {
            _secrets[name] = secret;
            SecretVersions[name] = [];
        }

        return secret;
    }

    private JsonObject? AddSecretVersion(string secretName, JsonObject body)
    {
        if (!SecretVersions.TryGetValue(secretName, out var versions))
        {
            return null;
        }

        versions.Add(Convert.FromBase64String(body["payload"]!["data"]!.GetValue<string>()));
        return new JsonObject { ["name"] = $"{secretName}/versions/{versions.Count}", ["createTime"] = "2026-11-26T12:00:00Z", ["state"] = "ENABLED" };
    }

    /// <summary>Cloud Run refuses a template whose environment names a secret that does not exist.</summary>
    private string? MissingSecret(JsonObject template)
    {
        foreach (var env in template["containers"]?.AsArray().SelectMany(c => c?["env"]?.AsArray() ?? []) ?? [])
        {
            if (env?["valueSource"]?["secretKeyRef"]?["secret"]?.GetValue<string>() is { } secret && !_secrets.ContainsKey(secret) && !_secrets.Keys.Any(k => k.EndsWith("/secrets/" + secret, StringComparison.Ordinal)))
            {
                return $"spec.template.spec.containers[0].env.value_source.secret_key_ref: Secret {secret}/versions/latest was not found";
            }
        }

        return null;
    }
}
