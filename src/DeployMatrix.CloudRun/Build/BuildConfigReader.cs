using System.Text.Json.Nodes;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Yaml;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Build;

/// <summary>
/// A lane's <c>cloudbuild.yaml</c> as the <c>Build</c> message Cloud Build's API takes — what gcloud
/// does locally before it calls <c>builds.create</c>. Substitutions given on the command line (the
/// matrix's, e.g. <c>_TAG</c>) override the config's own defaults.
/// </summary>
public static class BuildConfigReader
{
    // Lists of strings in the Build message, where YAML would read 8080 or true as a number or a bool.
    private static readonly string[] StringLists = ["args", "env", "secretEnv", "waitFor", "images", "tags"];

    public static JsonObject Read(string path, IReadOnlyDictionary<string, string> substitutions)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new PlatformException($"cannot read the Cloud Build config {path}: {e.Message}", 2);
        }

        var diagnostics = new DiagnosticBag(path);
        var tree = YamlTreeReader.Read(text, diagnostics);
        if (diagnostics.HasErrors || tree is null)
        {
            throw new PlatformException(diagnostics.Items.FirstOrDefault()?.ToString() ?? $"{path}: empty Cloud Build config", 2);
        }

        if (YamlJson.ToJson(tree) is not JsonObject build || build["steps"] is not JsonArray { Count: > 0 })
        {
            throw new PlatformException($"{path}:1:1: a Cloud Build config is a mapping with at least one entry under 'steps'", 2);
        }

        Stringify(build);
        var merged = build["substitutions"] as JsonObject ?? [];
        foreach (var (key, value) in substitutions)
        {
            merged[key] = value;
        }

        build["substitutions"] = merged;
        return build;
    }

    private static void Stringify(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject map:
                foreach (var (key, value) in map.ToList())
                {
                    if (value is JsonArray list && StringLists.Contains(key))
                    {
                        map[key] = new JsonArray([.. list.Select(v => (JsonNode?)(v is JsonValue ? JsonValue.Create(v.ToString()) : v?.DeepClone()))]);
                    }
                    else if (key == "substitutions" && value is JsonObject subs)
                    {
                        map[key] = new JsonObject(subs.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value?.ToString() ?? ""))));
                    }
                    else
                    {
                        Stringify(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Stringify(item);
                }

                break;
        }
    }
}
