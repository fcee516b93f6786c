using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace DeployMatrix.Tests.Support;

/// <summary>Holds a JSON document to one of the committed schemas (JsonSchema.Net), for the test projects that reference it.</summary>
public static class SchemaCheck
{
    /// <summary>Why <paramref name="document"/> does not fit <paramref name="schema"/>, one line; null when it does.</summary>
    public static string? Problems(JsonSchema schema, JsonNode document)
    {
        using var parsed = JsonDocument.Parse(document.ToJsonString());
        var results = schema.Evaluate(parsed.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid
            ? null
            : string.Join("; ", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).Select(d => $"{d.InstanceLocation}: {string.Join(", ", d.Errors!.Values)}"));
    }

    /// <summary><paramref name="o"/> with the field <paramref name="name"/> renamed (a schema must reject it, or it is looser than the document).</summary>
    public static JsonObject Renamed(JsonObject o, string name) =>
        new(o.Select(p => KeyValuePair.Create(p.Key == name ? name + "_renamed" : p.Key, p.Value?.DeepClone())));
}
