using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// Cloud Run v1's domain mappings (<c>GET /apis/domains.cloudrun.com/v1/namespaces/PROJECT/domainmappings/DOMAIN</c>,
/// served by a region's endpoint): the request and each answer are checked against Google's generated v1 client
/// (<c>run-v1.ts</c>: <c>Schema$DomainMapping</c> and what it holds). A mapped domain answers on a loopback listener
/// of its own, standing in for its DNS name, and routes like the service's URL.
/// </summary>
public sealed partial class CloudRunDouble
{
    private static readonly Lazy<StorageDefinition> RunV1 = new(() => StorageDefinition.Load("run-v1.ts"));

    private readonly ConcurrentDictionary<string, JsonObject> _domainMappings = new(StringComparer.Ordinal);

    /// <summary>Every request a domain's listener received (the domain and the path), in order.</summary>
    public ConcurrentQueue<(string Domain, string Path)> DomainRequests { get; } = new();

    /// <summary>
    /// A domain mapping of <paramref name="domain"/> in <paramref name="project"/> routing to <paramref name="routeName"/>
    /// (a service in <paramref name="region"/>), with its Ready and CertificateProvisioned conditions (<c>True</c>,
    /// <c>False</c>, <c>Unknown</c>); set again to change them. Returns the domain's stand-in URL.
    /// </summary>
    public Uri MapDomain(string project, string region, string domain, string routeName, string ready = "True", string certificate = "True", string? message = null)
    {
        JsonObject Condition(string type, string status) => status == "True"
            ? new JsonObject { ["type"] = type, ["status"] = status }
            : new JsonObject { ["type"] = type, ["status"] = status, ["reason"] = "Pending", ["message"] = message ?? $"{type} is {status}" };
        _domainMappings[$"{project}/{domain}"] = new JsonObject
        {
            ["apiVersion"] = "domains.cloudrun.com/v1",
            ["kind"] = "DomainMapping",
            ["metadata"] = new JsonObject { ["name"] = domain, ["namespace"] = project },
            ["spec"] = new JsonObject { ["routeName"] = routeName, ["certificateMode"] = "AUTOMATIC" },
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(Condition("Ready", ready), Condition("CertificateProvisioned", certificate), Condition("DomainRoutable", "True")),
                ["mappedRouteName"] = routeName,
                ["url"] = $"https://{domain}",
            },
        };
        var service = $"projects/{project}/locations/{region}/services/{routeName}";
        return new Uri(Listen($"domain:{domain}", context =>
        {
            DomainRequests.Enqueue((domain, context.Request.Path.Value ?? "/"));
            return RouteAsync(context, service);
        }));
    }

    /// <summary>The v1 GET of a domain mapping: checked against the generated client's method and schemas.</summary>
    private async Task DomainMappingAsync(HttpContext context)
    {
        var path = context.Request.Path.Value!;
        Calls.Enqueue($"{context.Request.Method} {path}");
        var definition = RunV1.Value;
        if (definition.Match(context.Request.Method, path) is not { Name: "Namespaces$Domainmappings$Get" })
        {
            Problems.Enqueue($"{context.Request.Method} {path}: not namespaces.domainmappings.get of Cloud Run's v1 API");
        }

        if (context.Request.Headers.Authorization != $"Bearer {Token}")
        {
            await ErrorAsync(context, HttpStatusCode.Unauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
            return;
        }

        var parts = path.Split('/'); // "", apis, domains.cloudrun.com, v1, namespaces, P, domainmappings, D
        if (parts.Length != 8 || parts[4] != "namespaces" || parts[6] != "domainmappings" || !_domainMappings.TryGetValue($"{parts[5]}/{Uri.UnescapeDataString(parts[7])}", out var mapping))
        {
            await ErrorAsync(context, HttpStatusCode.NotFound, "NOT_FOUND", $"Resource '{parts[^1]}' of kind 'DOMAIN_MAPPING' in region was not found.");
            return;
        }

        var text = mapping.ToJsonString();
        using (var document = JsonDocument.Parse(text))
        {
            var root = document.RootElement;
            var problems = definition.Check("Schema$DomainMapping", root)
                .Concat(definition.Check("Schema$ObjectMeta", root.GetProperty("metadata")))
                .Concat(definition.Check("Schema$DomainMappingSpec", root.GetProperty("spec")))
                .Concat(definition.Check("Schema$DomainMappingStatus", root.GetProperty("status")))
                .Concat(root.GetProperty("status").GetProperty("conditions").EnumerateArray().SelectMany(c => definition.Check("Schema$GoogleCloudRunV1Condition", c)));
            foreach (var problem in problems)
            {
                Problems.Enqueue($"answer to GET {path}: {problem}");
            }
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(text);
    }
}
