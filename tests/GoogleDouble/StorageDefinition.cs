using System.Text.Json;
using System.Text.RegularExpressions;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>A Cloud Storage JSON API method as Google's generated client declares it.</summary>
public sealed record StorageMethod(string Name, string Method, string Template, Regex Pattern, bool Media, string Parameters, string Response);

/// <summary>
/// Cloud Storage's JSON API from Google's generated TypeScript client (<c>@googleapis/storage</c>'s
/// <c>v1.ts</c>, fetched by scripts/fetch-google-protos.sh as storage.ts): each method's verb, path
/// (and media-upload path), its parameter interface and response schema, and every interface's
/// field names. Cloud Storage ships no protos.json, so this is the official definition the double
/// holds its storage answers and the client's requests to.
/// </summary>
public sealed partial class StorageDefinition
{
    private readonly Dictionary<string, HashSet<string>> _interfaces = new(StringComparer.Ordinal);
    private readonly List<StorageMethod> _methods = [];

    public static StorageDefinition Load() => Load("storage.ts");

    /// <summary>Another API from its generated client (e.g. <c>run-v1.ts</c>, Cloud Run's v1 API with its domain mappings).</summary>
    public static StorageDefinition Load(string file)
    {
        var path = Path.Combine(RepoPaths.Root, "artifacts", "google-protos", file);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is missing; run scripts/fetch-google-protos.sh (test.sh does)");
        }

        var text = File.ReadAllText(path);
        var definition = new StorageDefinition();
        foreach (Match block in Interface().Matches(text))
        {
            definition._interfaces[block.Groups["name"].Value] = [.. Field().Matches(block.Groups["body"].Value).Select(f => f.Groups["field"].Value)];
        }

        foreach (Match method in Method().Matches(text))
        {
            var parameters = method.Groups["params"].Value;
            var name = parameters.Replace("Params$Resource$", "", StringComparison.Ordinal);
            var (verb, url, response) = (method.Groups["verb"].Value, method.Groups["url"].Value, method.Groups["response"].Value);
            definition._methods.Add(new StorageMethod(name, verb, url, Pattern(url), false, parameters, response));
            if (method.Groups["media"].Success)
            {
                var media = method.Groups["media"].Value;
                definition._methods.Add(new StorageMethod(name, verb, media, Pattern(media), true, parameters, response));
            }
        }

        return definition;
    }

    public IReadOnlyList<StorageMethod> Methods => _methods;

    public StorageMethod? Match(string method, string path) =>
        _methods.FirstOrDefault(m => m.Method.Equals(method, StringComparison.OrdinalIgnoreCase) && m.Pattern.IsMatch(path));

    /// <summary>Whether a query parameter is one the method (or every method: <c>StandardParameters</c>) declares.</summary>
    public bool HasParameter(StorageMethod method, string name) =>
        (_interfaces.TryGetValue(method.Parameters, out var own) && own.Contains(name)) || _interfaces["StandardParameters"].Contains(name);

    /// <summary>Top-level JSON fields that the schema (e.g. <c>Schema$Object</c>) does not declare.</summary>
    public IReadOnlyList<string> Check(string schema, JsonElement json) =>
        !_interfaces.TryGetValue(schema, out var fields)
            ? [$"{schema} is not in the storage definition"]
            : [.. json.EnumerateObject().Where(p => !fields.Contains(p.Name)).Select(p => $"'{p.Name}' is not a field of {schema}")];

    // {name} is one path segment; {+name} (RFC 6570 reserved expansion) a resource name with its slashes.
    private static Regex Pattern(string template) =>
        new("^" + Regex.Replace(Regex.Replace(Regex.Escape(template), @"\\\{\\\+[A-Za-z]+}", ".+"), @"\\\{[A-Za-z]+}", "[^/]+") + "$");

    [GeneratedRegex(@"^  (?:export )?interface (?<name>[\w$]+)(?: extends \w+)? \{\n(?<body>.*?)\n  \}", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Interface();

    [GeneratedRegex(@"^    '?(?<field>[\w$-]+)'?\??:", RegexOptions.Multiline)]
    private static partial Regex Field();

    // Each method body: its parameter interface, url, verb, the media url of uploads, and the response schema;
    // the tempered dots never run past the method's own createAPIRequest.
    [GeneratedRegex(@"let params = \(paramsOrCallback\s*\|\|\s*\{\}\)\s*as\s*(?<params>Params\$Resource\$[\w$]+);(?:(?!createAPIRequest).)*?url:\s*\(\s*rootUrl\s*\+\s*'(?<url>[^']+)'\s*\)(?:(?!createAPIRequest).)*?method:\s*'(?<verb>\w+)'(?:(?:(?!createAPIRequest).)*?mediaUrl:\s*\(\s*rootUrl\s*\+\s*'(?<media>[^']+)'\s*\))?.*?createAPIRequest<(?<response>[\w$]+)>", RegexOptions.Singleline)]
    private static partial Regex Method();
}
