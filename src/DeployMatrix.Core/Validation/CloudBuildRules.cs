using System.Text.RegularExpressions;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Validation;

/// <summary>
/// Cloud Build's substitution rules, held against a lane's config before anything is uploaded
/// (cloud.google.com/build/docs/configuring-builds/substitute-variable-values). User keys match
/// <c>_[A-Z0-9_]+</c>. Every key a build passes must be used by the config, as <c>$_KEY</c> or
/// <c>${_KEY}</c>, unless the config sets <c>options.substitutionOption: ALLOW_LOOSE</c>: otherwise Cloud
/// Build refuses the build. <c>_TAG</c>, which every build passes, must be used whatever the option says,
/// because it is what names the image the lane deploys.
/// </summary>
/// <remarks>Pure: the loader reads the config's text and hands it in.</remarks>
internal static partial class CloudBuildRules
{
    /// <summary>The substitution every build sets to the tag.</summary>
    public const string TagKey = "_TAG";

    /// <summary>A key the matrix may pass: Cloud Build's pattern for user substitutions, and not the tag's own key.</summary>
    public static bool IsUserKey(string key) => key != TagKey && UserKey().IsMatch(key);

    /// <param name="configText">The text of the lane's Cloud Build config.</param>
    public static void Check(Lane lane, CloudBuildConfig cloud, string configText, DiagnosticBag d)
    {
        var config = cloud.Config;
        var parsed = new DiagnosticBag(config.Path);
        var root = YamlTreeReader.Read(configText, parsed);
        if (parsed.HasErrors)
        {
            d.Add(config.Pos, "cloudbuild", $"Cloud Build config '{config.Path}' of lane '{lane.Name}' is not valid YAML: {parsed.Sorted()[0]}");
            return;
        }

        var used = new HashSet<string>(StringComparer.Ordinal);
        CollectUses(root, used);
        var loose = AllowsLoose(root);
        if (!used.Contains(TagKey))
        {
            var example = lane.Image is { } image ? $"'images: [{image.Replace(Lane.TagPlaceholder, "$" + TagKey, StringComparison.Ordinal)}]'" : $"an image named '…:${TagKey}'";
            d.Add(config.Pos, "substitution",
                $"Cloud Build config '{config.Path}' of lane '{lane.Name}' never uses ${TagKey} (or ${{{TagKey}}}), which every build sets to the tag{(loose ? " (ALLOW_LOOSE does not excuse it)" : "")}: the image it pushes must carry the tag the lane deploys, e.g. {example}");
        }

        if (loose)
        {
            return;
        }

        foreach (var key in cloud.Substitutions.Keys.Where(k => IsUserKey(k) && !used.Contains(k)).Order(StringComparer.Ordinal))
        {
            d.Add(cloud.SubstitutionPositions.GetValueOrDefault(key, config.Pos), "substitution",
                $"substitution '{key}' of lane '{lane.Name}' is never used by its Cloud Build config '{config.Path}' (as ${key} or ${{{key}}}), and Cloud Build refuses a build that passes a substitution its config does not use; use it there, remove it here, or set 'options: {{ substitutionOption: ALLOW_LOOSE }}' in the config");
        }
    }

    /// <summary>Every user key the config's values name; mapping keys are names, not uses, and comments are not read at all.</summary>
    private static void CollectUses(YNode? node, HashSet<string> used)
    {
        switch (node)
        {
            case YScalar scalar:
                foreach (Match m in Reference().Matches(scalar.Value))
                {
                    if (m.Groups["key"].Success)
                    {
                        used.Add(m.Groups["key"].Value);
                    }
                }

                break;
            case YSequence sequence:
                foreach (var item in sequence.Items)
                {
                    CollectUses(item, used);
                }

                break;
            case YMapping mapping:
                foreach (var pair in mapping.Pairs)
                {
                    CollectUses(pair.Value, used);
                }

                break;
        }
    }

    /// <summary><c>options.substitutionOption</c> (or the proto's own spelling, <c>substitution_option</c>) is <c>ALLOW_LOOSE</c>.</summary>
    private static bool AllowsLoose(YNode? root) =>
        root is YMapping map && map.Get("options") is YMapping options
        && (options.Get("substitutionOption") ?? options.Get("substitution_option")) is YScalar { Value: "ALLOW_LOOSE" };

    [GeneratedRegex("^_[A-Z0-9_]+$")]
    private static partial Regex UserKey();

    /// <summary>
    /// A use of a user substitution: <c>$_KEY</c> (the longest run of key characters, as Cloud Build reads it)
    /// or <c>${_KEY</c>…; <c>$$</c> is Cloud Build's escaped dollar and is consumed first, so <c>$$_KEY</c> is no use.
    /// </summary>
    [GeneratedRegex(@"\$\$|\$\{(?<key>_[A-Z0-9_]+)|\$(?<key>_[A-Z0-9_]+)")]
    private static partial Regex Reference();
}
