using System.Text.Json;
using System.Text.RegularExpressions;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>An RPC as its HTTP binding exposes it: method, path pattern, which part of the request is the body.</summary>
public sealed record HttpRule(string Rpc, string Method, string Template, Regex Pattern, string RequestType, string ResponseType, string? Body);

/// <summary>
/// Google's official API definitions (the <c>protos.json</c> shipped in the npm client packages,
/// fetched by scripts/fetch-google-protos.sh): which paths and methods exist, and which JSON field
/// names, types and enum values each message has. The HTTP double checks every request it receives
/// and every answer it gives against this, so neither side can drift into a private dialect.
/// </summary>
public sealed class ProtoCatalog
{
    private readonly Dictionary<string, JsonElement> _types = new(StringComparer.Ordinal);
    private readonly List<HttpRule> _rules = [];
    private readonly List<(string Rpc, JsonElement Method, string Scope)> _methods = [];

    public static ProtoCatalog Load(params string[] names)
    {
        var catalog = new ProtoCatalog();
        foreach (var name in names)
        {
            var path = Path.Combine(RepoPaths.Root, "artifacts", "google-protos", $"{name}.json");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{path} is missing; run scripts/fetch-google-protos.sh (test.sh does)");
            }

            using var document = JsonDocument.Parse(File.ReadAllText(path));
            catalog.Index(document.RootElement.Clone(), "");
        }

        // Request and response types resolve once every type is known.
        foreach (var (rpc, method, scope) in catalog._methods)
        {
            catalog.AddRules(rpc, method, scope);
        }

        return catalog;
    }

    public IReadOnlyList<HttpRule> Rules => _rules;

    /// <summary>The rule a request matches, or null when Google's API has no such path for that method.</summary>
    public HttpRule? Match(string method, string path) =>
        _rules.FirstOrDefault(r => r.Method.Equals(method, StringComparison.OrdinalIgnoreCase) && r.Pattern.IsMatch(path));

    public bool HasType(string fullName) => _types.ContainsKey(fullName);

    /// <summary>Whether a message has a field at this JSON path (query parameters name request fields, nested ones dotted: <c>interval.startTime</c>).</summary>
    public bool HasField(string typeName, string path)
    {
        var type = typeName;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            if (!_types.TryGetValue(type, out var definition) || !definition.TryGetProperty("fields", out var fields) || !fields.TryGetProperty(parts[i], out _))
            {
                return false;
            }

            if (i < parts.Length - 1)
            {
                type = FieldType(type, parts[i]);
            }
        }

        return true;
    }

    /// <summary>Every way <paramref name="json"/> departs from the message type: unknown fields, wrong JSON types, unknown enum values.</summary>
    public IReadOnlyList<string> Check(string typeName, JsonElement json, string where = "$")
    {
        var problems = new List<string>();
        CheckMessage(typeName, json, where, problems);
        return problems;
    }

    /// <summary>The type a field of a message has, resolved to its full name (e.g. the request's body field).</summary>
    public string FieldType(string typeName, string field)
    {
        var fields = _types[typeName].GetProperty("fields");
        return Resolve(fields.GetProperty(field).GetProperty("type").GetString()!, Scope(typeName));
    }

    private void Index(JsonElement node, string scope)
    {
        if (!node.TryGetProperty("nested", out var nested))
        {
            return;
        }

        foreach (var child in nested.EnumerateObject())
        {
            var name = scope.Length == 0 ? child.Name : $"{scope}.{child.Name}";
            if (child.Value.TryGetProperty("fields", out _) || child.Value.TryGetProperty("values", out _))
            {
                _types[name] = child.Value;
            }

            if (child.Value.TryGetProperty("methods", out var methods))
            {
                foreach (var rpc in methods.EnumerateObject())
                {
                    _methods.Add(($"{name}.{rpc.Name}", rpc.Value, name));
                }
            }

            Index(child.Value, name);
        }
    }

    private void AddRules(string rpc, JsonElement method, string scope)
    {
        if (!method.TryGetProperty("options", out var options))
        {
            return;
        }

        var request = Resolve(method.GetProperty("requestType").GetString()!, scope);
        var response = Resolve(method.GetProperty("responseType").GetString()!, scope);
        string? body = options.TryGetProperty("(google.api.http).body", out var b) ? b.GetString() : null;
        foreach (var option in options.EnumerateObject())
        {
            var verb = option.Name switch
            {
                "(google.api.http).get" or "(google.api.http).additional_bindings.get" => "GET",
                "(google.api.http).post" or "(google.api.http).additional_bindings.post" => "POST",
                "(google.api.http).patch" or "(google.api.http).additional_bindings.patch" => "PATCH",
                "(google.api.http).put" or "(google.api.http).additional_bindings.put" => "PUT",
                "(google.api.http).delete" or "(google.api.http).additional_bindings.delete" => "DELETE",
                _ => null,
            };
            if (verb is not null)
            {
                var template = option.Value.GetString()!;
                _rules.Add(new HttpRule(rpc, verb, template, ToRegex(template), request, response, verb is "GET" or "DELETE" ? null : body));
            }
        }
    }

    /// <summary>A path template (<c>/v2/{name=projects/*/locations/*}:run</c>) as an anchored pattern.</summary>
    private static Regex ToRegex(string template)
    {
        var pattern = new System.Text.StringBuilder("^");
        var at = 0;
        while (at < template.Length)
        {
            var open = template.IndexOf('{', at);
            if (open < 0)
            {
                pattern.Append(Regex.Escape(template[at..]));
                break;
            }

            pattern.Append(Regex.Escape(template[at..open]));
            var close = template.IndexOf('}', open);
            var variable = template[(open + 1)..close];
            var equals = variable.IndexOf('=', StringComparison.Ordinal);
            var segments = equals < 0 ? "*" : variable[(equals + 1)..];
            pattern.Append(string.Join('/', segments.Split('/').Select(segment => segment switch
            {
                "**" => ".+",
                "*" => "[^/:]+",
                _ => Regex.Escape(segment),
            })));
            at = close + 1;
        }

        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    private static string Scope(string fullName) => fullName[..Math.Max(0, fullName.LastIndexOf('.'))];

    /// <summary>protobuf.js type references resolve from the innermost enclosing namespace outwards.</summary>
    private string Resolve(string reference, string scope)
    {
        for (var s = scope; ; s = Scope(s))
        {
            var candidate = s.Length == 0 ? reference : $"{s}.{reference}";
            if (_types.ContainsKey(candidate) || WellKnown.Contains(candidate))
            {
                return candidate;
            }

            if (s.Length == 0)
            {
                return reference;
            }
        }
    }

    private static readonly HashSet<string> WellKnown = new(StringComparer.Ordinal)
    {
        "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask", "google.protobuf.Any",
        "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Empty",
        "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.Int32Value", "google.protobuf.Int64Value", "google.protobuf.DoubleValue",
    };

    private void CheckMessage(string typeName, JsonElement json, string where, List<string> problems)
    {
        switch (typeName)
        {
            case "google.protobuf.Timestamp" or "google.protobuf.Duration" or "google.protobuf.FieldMask":
                Expect(json.ValueKind == JsonValueKind.String, $"{where}: {typeName} is a JSON string", problems);
                return;
            case "google.protobuf.Struct" or "google.protobuf.Value" or "google.protobuf.ListValue" or "google.protobuf.Empty":
            case "google.protobuf.BoolValue" or "google.protobuf.StringValue" or "google.protobuf.Int32Value" or "google.protobuf.Int64Value" or "google.protobuf.DoubleValue":
                return;
            case "google.protobuf.Any":
                if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("@type", out var type))
                {
                    problems.Add($"{where}: google.protobuf.Any needs an '@type'");
                    return;
                }

                var packed = type.GetString()!.Split('/')[^1];
                if (_types.ContainsKey(packed))
                {
                    CheckFields(packed, json, where, problems, skip: "@type");
                }
                else
                {
                    problems.Add($"{where}: '@type' {type.GetString()} is not a message in the API definitions");
                }

                return;
        }

        if (!_types.TryGetValue(typeName, out var definition))
        {
            problems.Add($"{where}: type {typeName} is not in the API definitions");
            return;
        }

        if (definition.TryGetProperty("values", out var values))
        {
            Expect(json.ValueKind == JsonValueKind.Number || (json.ValueKind == JsonValueKind.String && values.TryGetProperty(json.GetString()!, out _)),
                $"{where}: '{json}' is not a value of enum {typeName}", problems);
            return;
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{where}: {typeName} is a JSON object, got {json.ValueKind}");
            return;
        }

        CheckFields(typeName, json, where, problems, skip: null);
    }

    private void CheckFields(string typeName, JsonElement json, string where, List<string> problems, string? skip)
    {
        var fields = _types[typeName].GetProperty("fields");
        foreach (var property in json.EnumerateObject())
        {
            if (property.Name == skip)
            {
                continue;
            }

            if (!fields.TryGetProperty(property.Name, out var field))
            {
                problems.Add($"{where}.{property.Name}: {typeName} has no field '{property.Name}'");
                continue;
            }

            var fieldType = field.GetProperty("type").GetString()!;
            var repeated = field.TryGetProperty("rule", out var rule) && rule.GetString() == "repeated";
            var isMap = field.TryGetProperty("keyType", out _);
            var path = $"{where}.{property.Name}";
            if (repeated)
            {
                if (property.Value.ValueKind != JsonValueKind.Array)
                {
                    problems.Add($"{path}: repeated field is a JSON array");
                    continue;
                }

                var i = 0;
                foreach (var item in property.Value.EnumerateArray())
                {
                    CheckValue(fieldType, item, $"{path}[{i++}]", typeName, problems);
                }
            }
            else if (isMap)
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    problems.Add($"{path}: map field is a JSON object");
                    continue;
                }

                foreach (var entry in property.Value.EnumerateObject())
                {
                    CheckValue(fieldType, entry.Value, $"{path}.{entry.Name}", typeName, problems);
                }
            }
            else
            {
                CheckValue(fieldType, property.Value, path, typeName, problems);
            }
        }
    }

    private void CheckValue(string fieldType, JsonElement value, string where, string scope, List<string> problems)
    {
        var kind = value.ValueKind;
        switch (fieldType)
        {
            case "string" or "bytes":
                Expect(kind == JsonValueKind.String, $"{where}: {fieldType} is a JSON string", problems);
                break;
            case "bool":
                Expect(kind is JsonValueKind.True or JsonValueKind.False, $"{where}: bool is true or false", problems);
                break;
            case "int32" or "uint32" or "sint32" or "fixed32" or "sfixed32" or "float" or "double":
                Expect(kind == JsonValueKind.Number, $"{where}: {fieldType} is a JSON number", problems);
                break;
            case "int64" or "uint64" or "sint64" or "fixed64" or "sfixed64":
                Expect(kind is JsonValueKind.String or JsonValueKind.Number, $"{where}: {fieldType} is a JSON string (or number)", problems);
                break;
            default:
                CheckMessage(Resolve(fieldType, scope), value, where, problems);
                break;
        }
    }

    private static void Expect(bool ok, string problem, List<string> problems)
    {
        if (!ok)
        {
            problems.Add(problem);
        }
    }
}
