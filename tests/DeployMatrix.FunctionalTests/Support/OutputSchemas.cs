using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeployMatrix.Tests.Support;
using Json.Schema;

namespace DeployMatrix.FunctionalTests.Support;

/// <summary>The committed schemas of <c>--output json</c> (<c>schema/output/KIND.schema.json</c>), each built once: the library registers a schema globally by its $id.</summary>
public static class OutputSchemas
{
    private static readonly ConcurrentDictionary<string, JsonSchema> Schemas = new(StringComparer.Ordinal);

    /// <summary>
    /// Holds a command's stdout to its kind's schema: one JSON object naming <c>deploymatrix.KIND.v1</c>, valid, and
    /// rejected once any of its top-level fields is renamed (so a renamed field cannot slip past a loose schema).
    /// </summary>
    /// <returns>The document.</returns>
    public static JsonElement AssertValid(string kind, CliRun run)
    {
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(run.Out);
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"stdout is not one JSON document ({e.Message})\n{run}");
        }

        var document = Assert.IsType<JsonObject>(parsed, exactMatch: false);
        Assert.True(document["schema"]?.GetValue<string>() == $"deploymatrix.{kind}.v1", $"expected schema deploymatrix.{kind}.v1\n{run}");
        var problems = Problems(kind, document);
        Assert.True(problems is null, $"{kind}: {problems}\n{run}");
        foreach (var name in document.Select(p => p.Key).ToList())
        {
            var renamed = SchemaCheck.Renamed(document, name);
            Assert.True(Problems(kind, renamed) is not null, $"{kind}: the schema still accepts the document with '{name}' renamed");
        }

        return JsonDocument.Parse(run.Out).RootElement.Clone();
    }

    /// <summary>Why the document does not fit its schema, one line; null when it does.</summary>
    public static string? Problems(string kind, JsonNode document) =>
        SchemaCheck.Problems(Schemas.GetOrAdd(kind, k => JsonSchema.FromText(File.ReadAllText(Path.Combine(RepoPaths.Root, "schema", "output", $"{k}.schema.json")))), document);
}
