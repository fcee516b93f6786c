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

    /// <summary>A secret made by someone else, with no version yet (or, labelled as DeployMatrix's, what an enable interrupted between creating it and adding its version leaves).</summary>
    public void AddSecret(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        var secret = new JsonObject { ["name"] = name, ["replication"] = new JsonObject { ["automatic"] = new JsonObject() }, ["createTime"] = "2026-11-26T12:00:00Z" };
        if (labels is not null)
        {
            secret["labels"] = new JsonObject([.. labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))]);
        }

        _secrets[name] = secret;
        SecretVersions[name] = [];
    }

    /// <summary>The labels a secret carries (google.cloud.secretmanager.v1.Secret.labels).</summary>
    public IReadOnlyDictionary<string, string> SecretLabels(string name) =>
        _secrets[name]["labels"]?.AsObject().ToDictionary(l => l.Key, l => l.Value!.GetValue<string>()) ?? [];

    private JsonObject? GetSecret(string name) => _secrets.TryGetValue(name, out var secret) ? secret.DeepClone().AsObject() : null;

    private JsonObject CreateSecret(string parent, string secretId, JsonObject body, out string? invalid)
    {
        var name = $"{parent}/secrets/{secretId}";
        invalid = _secrets.ContainsKey(name) ? $"Secret [{name}] already exists." : body["replication"] is null ? "Replication is required." : InvalidLabels(body["labels"]?.AsObject());
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

    /// <summary>
    /// Secret Manager's rule for labels (Secret.labels in google/cloud/secretmanager/v1/resources.proto): at
    /// most 64; keys 1–63 characters matching <c>[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}</c>, values
    /// 0–63 matching <c>[\p{Ll}\p{Lo}\p{N}_-]{0,63}</c>.
    /// </summary>
    private static string? InvalidLabels(JsonObject? labels)
    {
        if (labels is null)
        {
            return null;
        }

        if (labels.Count > 64)
        {
            return "A secret may have at most 64 labels.";
        }

        foreach (var (key, value) in labels)
        {
            var text = value?.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : null;
            if (!System.Text.RegularExpressions.Regex.IsMatch(key, @"^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$") || text is null || !System.Text.RegularExpressions.Regex.IsMatch(text, @"^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$"))
            {
                return $"Invalid label: {key}.";
            }
        }

        return null;
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

    private readonly ConcurrentDictionary<string, JsonObject> _secretPolicies = new(StringComparer.Ordinal);

    /// <summary>Service accounts granted secret access on the whole project (the "project or higher level" grant).</summary>
    public HashSet<string> ProjectSecretAccessors { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, setIamPolicy is refused with 403 (the caller lacks secretmanager.secrets.setIamPolicy).</summary>
    public bool DenySetIamPolicy { get; set; }

    /// <summary>The members holding <paramref name="role"/> on a secret.</summary>
    /// <param name="unconditionalOnly">Only bindings without a condition (a condition may never hold, e.g. an expired grant).</param>
    public IReadOnlyList<string> SecretMembers(string secret, string role, bool unconditionalOnly = false) =>
        _secretPolicies.TryGetValue(secret, out var policy)
            ? [.. policy["bindings"]!.AsArray().Where(b => b!["role"]!.GetValue<string>() == role && (!unconditionalOnly || b["condition"] is null)).SelectMany(b => b!["members"]!.AsArray().Select(m => m!.GetValue<string>()))]
            : [];

    /// <summary>Sets a secret's policy as someone else left it (e.g. with a conditional binding).</summary>
    public void SetSecretPolicy(string secret, JsonArray bindings)
    {
        var policy = NewPolicy(bindings);
        policy["version"] = 3;
        _secretPolicies[secret] = policy;
    }

    /// <summary>The secret's bindings as stored.</summary>
    public JsonArray SecretBindings(string secret) => _secretPolicies[secret]["bindings"]!.AsArray();

    /// <summary>A version of a secret; <c>latest</c> is the newest. Null when there is none (404).</summary>
    private JsonObject? GetSecretVersion(string name)
    {
        var secret = name[..name.IndexOf("/versions/", StringComparison.Ordinal)];
        if (!SecretVersions.TryGetValue(secret, out var versions) || versions.Count == 0)
        {
            return null;
        }

        var id = name.Split('/')[^1];
        var number = id == "latest" ? versions.Count : int.TryParse(id, out var n) && n >= 1 && n <= versions.Count ? n : 0;
        return number == 0 ? null : new JsonObject { ["name"] = $"{secret}/versions/{number}", ["createTime"] = "2026-11-26T12:00:00Z", ["state"] = "ENABLED" };
    }

    /// <summary>The secret's IAM policy (google.iam.v1.Policy): bindings, and an etag (bytes, base64) that changes with each write.</summary>
    /// <remarks>
    /// IAM returns conditions only to a client that asks for policy version 3 ("Policy versions" in IAM's
    /// documentation). Asked for less, the double answers version 1 without the conditions, so a client
    /// that writes such a read back turns a conditional grant into an unconditional one — the mistake
    /// the request for version 3 prevents. (Google itself marks such members rather than dropping the
    /// condition; the double makes the mistake visible in the stored policy.)
    /// </remarks>
    private JsonObject? GetSecretPolicy(string secret, int requestedVersion)
    {
        if (!_secrets.ContainsKey(secret))
        {
            return null;
        }

        var policy = _secretPolicies.GetOrAdd(secret, _ => NewPolicy([])).DeepClone().AsObject();
        if (requestedVersion < 3)
        {
            policy["version"] = 1;
            foreach (var binding in policy["bindings"]!.AsArray())
            {
                binding!.AsObject().Remove("condition");
            }
        }

        return policy;
    }

    /// <summary>Writes a secret's policy; a stale etag is refused (409 ABORTED), as IAM's read-modify-write requires.</summary>
    private JsonObject? SetSecretPolicy(string secret, JsonObject body, out (System.Net.HttpStatusCode Status, string Code, string Message)? refused)
    {
        refused = null;
        if (!_secrets.ContainsKey(secret))
        {
            return null;
        }

        var current = _secretPolicies.GetOrAdd(secret, _ => NewPolicy([]));
        var asked = body["policy"]!.AsObject();
        if (DenySetIamPolicy)
        {
            refused = (System.Net.HttpStatusCode.Forbidden, "PERMISSION_DENIED", $"Permission 'secretmanager.secrets.setIamPolicy' denied for resource '{secret}' (or it may not exist).");
            return null;
        }

        if (asked["etag"]?.GetValue<string>() is { } etag && etag != current["etag"]!.GetValue<string>())
        {
            refused = (System.Net.HttpStatusCode.Conflict, "ABORTED", "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.");
            return null;
        }

        var stored = NewPolicy(asked["bindings"]?.AsArray() ?? []);
        stored["version"] = asked["version"]?.DeepClone() ?? 1;
        _secretPolicies[secret] = stored;
        return stored.DeepClone().AsObject();
    }

    private static JsonObject NewPolicy(JsonArray bindings) => new()
    {
        ["version"] = 1,
        ["bindings"] = bindings.DeepClone(),
        ["etag"] = Convert.ToBase64String(Guid.NewGuid().ToByteArray()),
    };

    /// <summary>
    /// Why a revision of this template cannot start for its secrets, or null: a referenced secret with no
    /// version, or one its service account may not read ("Permission denied on secret … for Revision
    /// service account …", the revision's Ready condition). Access counts when granted on the secret or the project.
    /// </summary>
    private string? SecretAccessProblem(string project, JsonObject template)
    {
        var account = template["serviceAccount"]?.GetValue<string>() ?? $"123456789012-compute@developer.gserviceaccount.com";
        var env = template["containers"]?.AsArray().SelectMany(c => c?["env"]?.AsArray() ?? []) ?? [];
        foreach (var reference in env.Select(e => e?["valueSource"]?["secretKeyRef"]?["secret"]?.GetValue<string>()).OfType<string>())
        {
            var secret = reference.StartsWith("projects/", StringComparison.Ordinal) ? reference : $"projects/{project}/secrets/{reference}";
            if (!SecretVersions.TryGetValue(secret, out var versions) || versions.Count == 0)
            {
                return $"spec.template.spec.containers[0].env.value_source.secret_key_ref: Secret {secret}/versions/latest was not found";
            }

            if (!ProjectSecretAccessors.Contains(account) && !SecretMembers(secret, "roles/secretmanager.secretAccessor", unconditionalOnly: true).Contains($"serviceAccount:{account}"))
            {
                return $"spec.template.spec.containers[0].env.value_source.secret_key_ref.secret: Permission denied on secret: {secret}/versions/latest for Revision service account {account}. The service account used must be granted the 'Secret Manager Secret Accessor' role (roles/secretmanager.secretAccessor) at the secret, project or higher level.";
            }
        }

        return null;
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
