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

        var shortName = name.Split('/')[^1];
        if (patch["template"] is JsonObject changed && !JsonNode.DeepEquals(changed, service["template"]))
        {
            // A named revision must carry the service's name first and be new (Run Admin API v2, RevisionTemplate.revision).
            if (changed["revision"]?.GetValue<string>() is { } named)
            {
                if (!named.StartsWith(shortName + "-", StringComparison.Ordinal))
                {
                    invalid = $"spec.template.metadata.name: Revision name '{named}' must be prefixed by the service name '{shortName}-'.";
                    return null;
                }

                if (_revisions[name].Any(r => r["name"]!.GetValue<string>().EndsWith("/" + named, StringComparison.Ordinal)))
                {
                    invalid = $"Revision named '{named}' with different configuration already exists.";
                    return null;
                }
            }

            service["template"] = changed.DeepClone();
            service["generation"] = (long.Parse(service["generation"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            created = true;
        }

        if (patch["traffic"] is JsonArray traffic)
        {
            // "If traffic is empty or not provided, defaults to 100% traffic to the latest Ready Revision" (Service.traffic).
            traffic = traffic.Count == 0 ? [new JsonObject { ["type"] = Latest, ["percent"] = 100 }] : traffic;
            var known = _revisions[name].Select(r => r["name"]!.GetValue<string>().Split('/')[^1]).ToHashSet(StringComparer.Ordinal);
            var sum = traffic.Sum(t => t!["percent"]?.GetValue<int>() ?? 0);
            // A revision this update creates may be named in its traffic: by its template name, or any name when unnamed.
            var creating = created ? service["template"]!["revision"]?.GetValue<string>() : null;
            var unknown = traffic.Select(t => t!["revision"]?.GetValue<string>()).FirstOrDefault(r => r is not null && !known.Contains(r) && !(created && (creating is null || r == creating)));
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

            if (TagProblem(shortName, traffic) is { } badTag)
            {
                invalid = badTag;
                return null;
            }

            service["traffic"] = traffic.DeepClone();
        }

        Touch(service);
        var failed = created ? CreateRevision(name, service) : null;
        return StartOperation(name, Packed(service, "Service"), done =>
        {
            Settle(name);
            if (failed is not null)
            {
                // The update ends in error when its revision cannot become ready; the service reports why.
                done["error"] = new JsonObject { ["code"] = 9, ["message"] = failed };
                return done;
            }

            done["response"] = Packed(_services[name], "Service");
            return done;
        });
    }

    /// <summary>Creates the template's revision; returns why it cannot become ready, or null when it is.</summary>
    private string? CreateRevision(string serviceName, JsonObject service)
    {
        var short_ = serviceName.Split('/')[^1];
        var number = Interlocked.Increment(ref _counter);
        var revision = service["template"]!["revision"]?.GetValue<string>()
            ?? $"{short_}-{number:00000}-{(char)('a' + (number % 26))}{(char)('a' + (number * 7 % 26))}{(char)('a' + (number * 13 % 26))}";
        var created = new JsonObject
        {
            ["name"] = $"{serviceName}/revisions/{revision}",
            ["createTime"] = "2026-11-26T12:00:00Z",
            ["containers"] = Containers(service),
            ["serviceAccount"] = service["template"]!["serviceAccount"]?.DeepClone() ?? "123456789012-compute@developer.gserviceaccount.com",
        };
        var image = service["template"]!["containers"]![0]!["image"]!.GetValue<string>();
        var failure = FailingImages.Contains(image)
            ? $"Revision '{revision}' is not ready and cannot serve traffic. The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable within the allocated timeout. This can happen when the container port is misconfigured or if the timeout is too short."
            : SecretAccessProblem(serviceName.Split('/')[1], service["template"]!.AsObject()) is { } secrets ? $"Revision '{revision}' is not ready and cannot serve traffic. {secrets}" : null;
        // A revision that cannot start reports it in its Ready condition (Run Admin API v2, Revision.conditions).
        created["conditions"] = new JsonArray(failure is null
            ? new JsonObject { ["type"] = "Ready", ["state"] = "CONDITION_SUCCEEDED" }
            : new JsonObject { ["type"] = "Ready", ["state"] = "CONDITION_FAILED", ["revisionReason"] = "HEALTH_CHECK_CONTAINER_ERROR", ["message"] = failure });
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
        return failure;
    }

    /// <summary>The template's containers as the revision reports them: each image resolved to its digest at creation.</summary>
    private JsonNode Containers(JsonObject service)
    {
        var containers = service["template"]!["containers"]!.DeepClone();
        foreach (var container in containers.AsArray())
        {
            if (container?["image"] is { } image)
            {
                container["image"] = ResolvedImage(image.GetValue<string>());
            }
        }

        return containers;
    }

    /// <summary>
    /// The service as Cloud Run reports it once an operation finished. A revision that is not ready never
    /// becomes latestReadyRevision, and LATEST keeps routing to the last ready one; a traffic list that
    /// gives a failed revision traffic is not applied (the routing stays as it was) and the service's
    /// terminal condition says why. LATEST statuses carry no revision name, as Cloud Run reports them.
    /// </summary>
    private void Settle(string name)
    {
        var service = _services[name];
        var ready = _revisions[name].Where(r => r["conditions"]![0]!["state"]!.GetValue<string>() == "CONDITION_SUCCEEDED").Select(r => r["name"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var created = service["latestCreatedRevision"]!.GetValue<string>();
        service["observedGeneration"] = service["generation"]!.DeepClone();
        if (!ready.Contains(created))
        {
            var failed = _revisions[name].Single(r => r["name"]!.GetValue<string>() == created)["conditions"]![0]!["message"]!.DeepClone();
            service["terminalCondition"] = new JsonObject { ["type"] = "Ready", ["state"] = "CONDITION_FAILED", ["message"] = failed };
            var routesToFailed = service["traffic"]!.AsArray().Any(t => t!["revision"]?.GetValue<string>() == created.Split('/')[^1] && t["percent"]?.GetValue<int>() > 0);
            if (routesToFailed && service["trafficStatuses"] is not null)
            {
                return;
            }
        }
        else
        {
            service["latestReadyRevision"] = created;
            service["terminalCondition"] = new JsonObject { ["type"] = "Ready", ["state"] = "CONDITION_SUCCEEDED" };
        }

        service["trafficStatuses"] = new JsonArray([.. service["traffic"]!.AsArray().Select(t =>
        {
            // A REVISION target without a name is served as the latest ready revision.
            var latest = t!["type"]?.GetValue<string>() == Latest || t["revision"] is null;
            var status = new JsonObject { ["type"] = latest ? Latest : t["type"]!.DeepClone() };
            if (!latest)
            {
                status["revision"] = t["revision"]!.DeepClone();
            }

            status["percent"] = t["percent"]?.DeepClone() ?? 0;
            if (t["tag"]?.GetValue<string>() is { Length: > 0 } tag)
            {
                status["tag"] = tag;
                status["uri"] = TagUrl(name, tag);
            }

            return (JsonNode)status;
        })]);
        RecordRouting(name, service);
    }

    private const string Latest = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST";

    /// <summary>Images whose revisions never become ready (their container fails its startup probe).</summary>
    public HashSet<string> FailingImages { get; } = new(StringComparer.Ordinal);
}
