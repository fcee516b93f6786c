using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// Optimistic concurrency as Cloud Run enforces it: every service and job carries an <c>etag</c> that
/// changes with each change ("A system-generated fingerprint for this version of the resource. May be
/// used to detect modification conflict during updates", Run Admin API v2, Service.etag / Job.etag); an
/// update sent with a stale one is refused with 409 ABORTED. A template that names a revision which
/// already exists, with other settings, is refused with 409 too (Service.template.revision: "the
/// unique name for the revision … must not already exist").
/// </summary>
public sealed partial class CloudRunDouble
{
    /// <summary>Resources changed by someone else just before the next N updates reach them (their etag moves).</summary>
    public ConcurrentDictionary<string, int> ConcurrentChanges { get; } = new(StringComparer.Ordinal);

    /// <summary>Why an update must be refused with 409 (status and message), or null.</summary>
    private (string Status, string Message)? Conflict(string name, JsonObject patch)
    {
        var resource = _services.TryGetValue(name, out var service) ? service : _jobs.TryGetValue(name, out var job) ? job : null;
        if (resource is null)
        {
            return null;
        }

        if (ConcurrentChanges.TryGetValue(name, out var left) && left > 0)
        {
            ConcurrentChanges[name] = left - 1;
            Touch(resource);
        }

        if (patch["etag"]?.GetValue<string>() is { Length: > 0 } etag && etag != resource["etag"]?.GetValue<string>())
        {
            return ("ABORTED", $"Resource '{name.Split('/')[^1]}' has been modified. Please apply your changes to the latest version and try again.");
        }

        if (service is not null && patch["template"]?["revision"]?.GetValue<string>() is { Length: > 0 } revision
            && _revisions[name].Any(r => r["name"]!.GetValue<string>().EndsWith("/revisions/" + revision, StringComparison.Ordinal))
            && !JsonNode.DeepEquals(patch["template"], service["template"]))
        {
            return ("ALREADY_EXISTS", $"Revision named '{revision}' with different configuration already exists.");
        }

        return null;
    }

    /// <summary>A new etag: the resource changed.</summary>
    private static void Touch(JsonObject resource) => resource["etag"] = $"\"{Guid.NewGuid():N}\"";
}
