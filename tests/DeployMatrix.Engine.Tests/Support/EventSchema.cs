using System.Text.Json;
using System.Text.Json.Nodes;
using DeployMatrix.Tests.Support;
using Json.Schema;

namespace DeployMatrix.Engine.Tests.Support;

/// <summary>The committed schema of a webhook's body (<c>schema/event.schema.json</c>, <c>deploymatrix.event.v1</c>), built once: the library registers a schema globally by its $id.</summary>
public static class EventSchema
{
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(File.ReadAllText(Path.Combine(RepoPaths.Root, "schema", "event.schema.json"))));

    /// <summary>Holds a body to the schema: valid, and rejected once any field (top-level or in details) is renamed, so the schema cannot be looser than the body.</summary>
    /// <returns>The body's document.</returns>
    public static JsonElement AssertValid(byte[] body)
    {
        var document = Assert.IsType<JsonObject>(JsonNode.Parse(body), exactMatch: false);
        Assert.True(Problems(document) is not { } problems, $"{Problems(document)}\n{document.ToJsonString()}");
        foreach (var name in document.Select(p => p.Key).ToList())
        {
            Assert.True(Problems(Renamed(document, name)) is not null, $"the event schema still accepts the body with '{name}' renamed");
        }

        var details = Assert.IsType<JsonObject>(document["details"], exactMatch: false);
        foreach (var name in details.Select(p => p.Key).ToList())
        {
            var changed = (JsonObject)document.DeepClone();
            changed["details"] = Renamed(details, name);
            Assert.True(Problems(changed) is not null, $"the event schema still accepts the body with details.{name} renamed");
        }

        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static JsonObject Renamed(JsonObject o, string name) =>
        new(o.Select(p => KeyValuePair.Create(p.Key == name ? name + "_renamed" : p.Key, p.Value?.DeepClone())));

    private static string? Problems(JsonNode document)
    {
        using var parsed = JsonDocument.Parse(document.ToJsonString());
        var results = Schema.Value.Evaluate(parsed.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid
            ? null
            : string.Join("; ", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).Select(d => $"{d.InstanceLocation}: {string.Join(", ", d.Errors!.Values)}"));
    }
}
