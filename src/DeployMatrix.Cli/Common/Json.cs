using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Cli.Common;

/// <summary>
/// One JSON shape for every --output json: snake_case names, enums as strings, indented; each document an
/// object whose first field, <c>schema</c>, names its kind and version (<c>schema/output/KIND.schema.json</c>).
/// </summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Platforms as the matrix and --platform write them (cloudrun), before the enum rule (which would say cloud-run).
        Converters = { new PlatformNameJsonConverter(), new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>Writes <paramref name="value"/> (an object) as the document <c>deploymatrix.KIND.v1</c>, with <c>schema</c> first.</summary>
    public static void Write<T>(TextWriter output, string kind, T value)
    {
        var body = JsonSerializer.SerializeToNode(value, Options) as JsonObject
            ?? throw new InvalidOperationException($"a {kind} document must be a JSON object");
        var document = new JsonObject { ["schema"] = $"deploymatrix.{kind}.v1" };
        foreach (var (name, node) in body.ToList())
        {
            body.Remove(name);
            document[name] = node;
        }

        output.WriteLine(document.ToJsonString(Options));
    }

    /// <summary>Where progress lines go: stderr under --output json (stdout holds only the document), else stdout.</summary>
    public static TextWriter Progress(ParseResult result, CliContext context) => context.Options.Json(result) ? context.Err : context.Out;

    /// <summary>A command with no document to give refuses --output json before it does anything (exit 2, one line with the fix).</summary>
    /// <param name="why">What the command prints instead, and what to use, e.g. "render writes Markdown; …".</param>
    public static void Refuse(ParseResult result, CliContext context, string why)
    {
        if (context.Options.Json(result))
        {
            throw new UsageException($"{why}; drop --output json");
        }
    }
}
