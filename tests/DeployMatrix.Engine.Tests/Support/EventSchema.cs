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
            Assert.True(Problems(SchemaCheck.Renamed(document, name)) is not null, $"the event schema still accepts the body with '{name}' renamed");
        }

        var details = Assert.IsType<JsonObject>(document["details"], exactMatch: false);
        foreach (var name in details.Select(p => p.Key).ToList())
        {
            var changed = (JsonObject)document.DeepClone();
            changed["details"] = SchemaCheck.Renamed(details, name);
            Assert.True(Problems(changed) is not null, $"the event schema still accepts the body with details.{name} renamed");
        }

        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string? Problems(JsonNode document) => SchemaCheck.Problems(Schema.Value, document);
}
