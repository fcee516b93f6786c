using System.Text.Json;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Yaml;
using DeployMatrix.Tests.Support;
using Json.Schema;

namespace DeployMatrix.Core.Tests.Schema;

/// <summary>The committed schema, built once: the schema library registers it globally by its $id.</summary>
internal static class MatrixSchema
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(RepoPaths.Schema));

    /// <summary>Evaluates YAML text the way an editor would: converted to JSON with YAML's core types.</summary>
    public static EvaluationResults Evaluate(string yaml, string name = "matrix.yaml")
    {
        var tree = YamlTreeReader.Read(yaml, new DiagnosticBag(name));
        Assert.NotNull(tree);
        using var document = JsonDocument.Parse(YamlJson.ToJson(tree)?.ToJsonString() ?? "null");
        return Schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }
}
