using System.Text.Json.Nodes;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>Cloud Run services in the double: a template change creates a revision, traffic is validated, operations settle the service.</summary>
public sealed partial class CloudRunDouble
{
    private JsonObject? Update(string name, JsonObject patch, out string? invalid)
    {
        invalid = null;
        if (!_services.TryGetValue(name, out var service))
        {
            return null;
        }

        var created = false;
        if (patch["template"] is JsonObject asked && MissingSecret(asked) is { } missing)
        {
            invalid = missing;
            return null;
        }

        if (patch["template"] is JsonObject changed && !JsonNode.DeepEquals(changed, service["template"]))
        {
            service["template"] = changed.DeepClone();
            service["generation"] = (long.Parse(service["generation"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            created = true;
        }

        if (patch["traffic"] is JsonArray traffic)
        {
            var known = _revisions[name].Select(r => r["name"]!.GetValue<string>().Split('/')[^1]).ToHashSet(StringComparer.Ordinal);
            var sum = traffic.Sum(t => t!["percent"]?.GetValue<int>() ?? 0);
            var unknown = traffic.Select(t => t!["revision"]?.GetValue<string>()).FirstOrDefault(r => r is not null && !known.Contains(r) && !created);
            if (sum != 100)
            {
                invalid = $"Traffic targets must add up to 100 percent, got {sum}.";
                return null;
            }

            if (unknown is not null)
            {
                invalid = $"Revision named '{unknown}' does not exist.";
                return null;
            }

            service["traffic"] = traffic.DeepClone();
        }

        if (created)
        {
            CreateRevision(name, service);
        }

        return StartOperation(name, Packed(service, "Service"), done =>
        {
            Settle(name);
            done["response"] = Packed(_services[name], "Service");
            return done;
        });
    }

    private void CreateRevision(string serviceName, JsonObject service)
    {
        var short_ = serviceName.Split('/')[^1];
        var number = Interlocked.Increment(ref _counter);
        var revision = $"{short_}-{number:00000}-{(char)('a' + (number % 26))}{(char)('a' + (number * 7 % 26))}{(char)('a' + (number * 13 % 26))}";
        var created = new JsonObject
        {
            ["name"] = $"{serviceName}/revisions/{revision}",
            ["createTime"] = "2026-11-26T12:00:00Z",
            ["containers"] = Containers(service),
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["state"] = "CONDITION_SUCCEEDED" }),
        };
        // As Cloud Run does, a revision keeps its template's annotations and labels.
        foreach (var key in new[] { "annotations", "labels" })
        {
            if (service["template"]?[key] is JsonObject map)
            {
                created[key] = map.DeepClone();
            }
        }

        _revisions[serviceName].Add(created);
        service["latestCreatedRevision"] = $"{serviceName}/revisions/{revision}";
    }

    private JsonNode Containers(JsonObject service)
    {
        var containers = service["template"]!["containers"]!.DeepClone();
        if (RevisionImage is { } rewrite && containers[0]?["image"] is { } image)
        {
            containers[0]!["image"] = rewrite(image.GetValue<string>());
        }

        return containers;
    }

    /// <summary>The service as Cloud Run reports it once an operation finished: ready revision, resolved traffic.</summary>
    private void Settle(string name)
    {
        var service = _services[name];
        service["latestReadyRevision"] = service["latestCreatedRevision"]!.DeepClone();
        service["observedGeneration"] = service["generation"]!.DeepClone();
        var latest = service["latestReadyRevision"]!.GetValue<string>().Split('/')[^1];
        service["trafficStatuses"] = new JsonArray([.. service["traffic"]!.AsArray().Select(t => (JsonNode)new JsonObject
        {
            ["type"] = t!["type"]!.DeepClone(),
            ["revision"] = t["type"]!.GetValue<string>() == "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST" ? latest : t["revision"]!.DeepClone(),
            ["percent"] = t["percent"]!.DeepClone(),
        })]);
    }
}
