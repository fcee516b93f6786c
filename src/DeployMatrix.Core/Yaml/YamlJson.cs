using System.Globalization;
using System.Text.Json.Nodes;

namespace DeployMatrix.Core.Yaml;

/// <summary>Converts a YAML tree to JSON with YAML 1.2 core-schema typing, so the JSON Schema can judge a matrix.</summary>
public static class YamlJson
{
    public static JsonNode? ToJson(YNode node) => node switch
    {
        YMapping map => new JsonObject(map.Pairs.Select(p => KeyValuePair.Create(p.Key.Value, ToJson(p.Value)))),
        YSequence seq => new JsonArray([.. seq.Items.Select(ToJson)]),
        YScalar s => Scalar(s),
        _ => null,
    };

    private static JsonValue? Scalar(YScalar s)
    {
        if (s.IsNull)
        {
            return null;
        }

        if (s.AsBool() is { } b)
        {
            return JsonValue.Create(b);
        }

        if (s.AsInteger() is { } i)
        {
            return JsonValue.Create(i);
        }

        // Only YAML's float syntax is a number; words such as "Infinity" or "1e5x" stay strings.
        if (s.Plain && s.Value.Length > 0 && (char.IsAsciiDigit(s.Value[0]) || s.Value[0] is '-' or '+' or '.')
            && double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(s.Value);
    }
}
