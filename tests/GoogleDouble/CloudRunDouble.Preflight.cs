using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// What a deploy's preflight reads: Artifact Registry's tags and Docker images (v1 <c>packages.tags.get</c>,
/// <c>dockerImages.get</c>, answering google.devtools.artifactregistry.v1.Tag and DockerImage) over the registry the
/// double keeps, and IAM's <c>testIamPermissions</c> on services and jobs (Run Admin API v2: "Permissions with
/// wildcards (such as * or storage.*) are not allowed"; the answer lists the permissions held).
/// </summary>
public sealed partial class CloudRunDouble
{
    private readonly ConcurrentDictionary<string, byte> _deletedImages = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _denied = new(StringComparer.Ordinal);

    /// <summary>Removes an image's tag (<c>REPO:TAG</c>) from the registry, as if it was never pushed.</summary>
    public void Untag(string image)
    {
        _registry.TryRemove(image, out _);
        _deletedImages[image] = 0;
    }

    /// <summary>The caller no longer holds <paramref name="permission"/> (e.g. <c>run.services.update</c>) on any service or job.</summary>
    public void Deny(string permission) => _denied[permission] = 0;

    /// <summary>Answers the preflight's RPCs; false when <paramref name="rpc"/> is none of them.</summary>
    private bool TryPreflight(string? rpc, string resource, JsonNode? body, out JsonNode? answer, out string? invalid)
    {
        invalid = null;
        switch (rpc)
        {
            case "google.devtools.artifactregistry.v1.ArtifactRegistry.GetTag":
                answer = RegistryTag(resource);
                return true;
            case "google.devtools.artifactregistry.v1.ArtifactRegistry.GetDockerImage":
                answer = RegistryImage(resource);
                return true;
            case "google.cloud.run.v2.Services.TestIamPermissions" or "google.cloud.run.v2.Jobs.TestIamPermissions":
                var name = resource[..resource.LastIndexOf(':')];
                var exists = rpc.Contains("Services", StringComparison.Ordinal) ? _services.ContainsKey(name) : _jobs.ContainsKey(name);
                var asked = (body?["permissions"]?.AsArray() ?? []).Select(p => p!.GetValue<string>()).ToList();
                invalid = asked.FirstOrDefault(p => p.Contains('*', StringComparison.Ordinal)) is { } wildcard
                    ? $"Permissions with wildcards are not allowed: '{wildcard}'."
                    : null;
                var held = asked.Where(p => !_denied.ContainsKey(p)).ToList();
                answer = !exists ? null : held.Count == 0 ? new JsonObject() : new JsonObject { ["permissions"] = new JsonArray([.. held.Select(p => (JsonNode)p)]) };
                return true;
            default:
                answer = null;
                return false;
        }
    }

    /// <summary>A tag of a package: <c>projects/P/locations/L/repositories/R/packages/PKG/tags/TAG</c> (a nested package's '/' as %2F).</summary>
    private JsonObject? RegistryTag(string name)
    {
        var parts = name.Split('/');
        var image = $"{parts[3]}-docker.pkg.dev/{parts[1]}/{parts[5]}/{Uri.UnescapeDataString(parts[7])}:{Uri.UnescapeDataString(parts[9])}";
        if (_deletedImages.ContainsKey(image))
        {
            return null;
        }

        var version = $"{string.Join('/', parts[..8])}/versions/{DigestOf(image)}";
        return new JsonObject { ["name"] = name, ["version"] = version };
    }

    /// <summary>A Docker image by digest: <c>projects/P/locations/L/repositories/R/dockerImages/PKG@sha256:…</c>; known when some tag points at it.</summary>
    private JsonObject? RegistryImage(string name)
    {
        var parts = name.Split('/');
        var (package, digest) = (Uri.UnescapeDataString(parts[7]).Split('@')[0], Uri.UnescapeDataString(parts[7]).Split('@')[^1]);
        var repository = $"{parts[3]}-docker.pkg.dev/{parts[1]}/{parts[5]}/{package}";
        return _registry.Any(r => Repository(r.Key) == repository && r.Value == digest)
            ? new JsonObject { ["name"] = name, ["uri"] = $"{repository}@{digest}" }
            : null;
    }
}
