using System.Globalization;
using System.Text.RegularExpressions;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Naming;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Loading;

/// <summary>Turns a YAML tree into a <see cref="Matrix"/>, reporting every shape problem with its position.</summary>
internal sealed partial class MatrixReader
{
    private static readonly string[] TopKeys = ["version", "matrix", "defaults", "environments", "lanes", "legacy", "gate", "state", "notify"];
    private static readonly string[] StateKeys = ["url-env"];
    private static readonly string[] InfoKeys = ["title", "status", "updated", "summary"];
    private static readonly string[] DefaultsKeys = ["platform", "project", "region", "rollout", "serving", "release-tags"];
    private static readonly string[] EnvironmentKeys = ["traffic", "no-traffic", "description"];

    internal static readonly IReadOnlyDictionary<string, PlatformKind> Platforms = PlatformNames.ByName;

    private readonly DiagnosticBag _diagnostics;
    private readonly string _path;

    private MatrixReader(string path, DiagnosticBag diagnostics)
    {
        _path = path;
        _diagnostics = diagnostics;
    }

    public static Matrix? Read(string path, YNode root, DiagnosticBag diagnostics) => new MatrixReader(path, diagnostics).ReadRoot(root);

    private Matrix? ReadRoot(YNode root)
    {
        if (root is not YMapping map)
        {
            _diagnostics.Add(root.Pos, "type", $"the matrix must be a mapping with 'matrix', 'lanes', … at the top, not {root.Describe()}");
            return null;
        }

        var top = new MapReader(map, "the matrix", _diagnostics, TopKeys);
        if (map.Get("version") is YScalar { Plain: false, Value: "1" } quoted)
        {
            // The right version, quoted: said plainly, and the rest is read (its errors are in the same run).
            _diagnostics.Add(quoted.Pos, "type", "'version' is the number 1, not a string; write version: 1 without quotes");
        }
        else if (top.Integer("version", 1, 1) is null && top.Has("version"))
        {
            // Another version is another format: its other keys would only give misleading errors.
            return null;
        }

        var info = ReadInfo(top);
        var defaults = ReadDefaults(top);
        var environments = ReadEnvironments(top);
        // The gate first: a lane's 'verify' may name its checks (diagnostics are sorted by position, so the order is not seen).
        var gate = GateReader.Read(top, _diagnostics);
        var lanes = new LaneReader(_diagnostics, defaults, environments, gate).ReadLanes(top);
        var legacy = LegacyReader.Read(top, _diagnostics);
        var state = ReadState(top);
        var notify = NotifyReader.Read(top, environments, lanes, _diagnostics);

        return new Matrix
        {
            SourcePath = _path,
            Info = info,
            Defaults = defaults,
            Environments = environments,
            Lanes = lanes,
            Legacy = legacy,
            Gate = gate,
            State = state,
            Notify = notify,
        };
    }

    private StateConfig? ReadState(MapReader top)
    {
        if (top.Mapping("state") is not { } node)
        {
            return null;
        }

        var r = new MapReader(node, "'state'", _diagnostics, StateKeys);
        var name = r.String("url-env", required: true);
        if (name is null)
        {
            return null;
        }

        if (!EnvName().IsMatch(name))
        {
            _diagnostics.Add(r.PosOf("url-env"), "value", $"'url-env' in 'state' must name an environment variable (letters, digits, _), not '{name}'; the URL itself never goes in the matrix");
            return null;
        }

        return new StateConfig { UrlEnv = name, Pos = r.PosOf("url-env") };
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    private MatrixInfo ReadInfo(MapReader top)
    {
        var node = top.Mapping("matrix", required: true);
        if (node is null)
        {
            return new MatrixInfo { Title = "", Status = "", Updated = default };
        }

        var r = new MapReader(node, "'matrix'", _diagnostics, InfoKeys);
        var updatedText = r.String("updated", required: true);
        var updated = default(DateOnly);
        if (updatedText is not null && !DateOnly.TryParseExact(updatedText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out updated))
        {
            _diagnostics.Add(r.PosOf("updated"), "type", $"'updated' in 'matrix' must be a date written YYYY-MM-DD, not '{updatedText}'");
        }

        return new MatrixInfo
        {
            Title = r.String("title", required: true) ?? "",
            Status = r.String("status", required: true) ?? "",
            Updated = updated,
            Summary = r.String("summary"),
        };
    }

    private Defaults ReadDefaults(MapReader top)
    {
        var node = top.Mapping("defaults");
        if (node is null)
        {
            return new Defaults();
        }

        var r = new MapReader(node, "'defaults'", _diagnostics, DefaultsKeys);
        return new Defaults
        {
            Platform = r.Enum("platform", Platforms) ?? PlatformKind.Local,
            Project = CheckProjectAndRegion(r, "project", _diagnostics),
            Region = CheckProjectAndRegion(r, "region", _diagnostics),
            Rollout = r.Mapping("rollout") is { } rollout
                ? RolloutReader.Read(new MapReader(rollout, "'defaults.rollout'", _diagnostics, RolloutReader.Keys), RolloutPolicy.Default)
                : RolloutPolicy.Default,
            Serving = r.Mapping("serving") is { } serving
                ? ServingReader.Read(new MapReader(serving, "'defaults.serving'", _diagnostics, ServingReader.Keys), ServingPolicy.Default)
                : ServingPolicy.Default,
            ReleaseTags = r.Mapping("release-tags") is { } tags
                ? ReleaseTagReader.Read(new MapReader(tags, "'defaults.release-tags'", _diagnostics, ReleaseTagReader.Keys), ReleaseTagPolicy.Default)
                : ReleaseTagPolicy.Default,
        };
    }

    private List<EnvironmentConfig> ReadEnvironments(MapReader top)
    {
        var result = new List<EnvironmentConfig>();
        var node = top.Node("environments");
        switch (node)
        {
            case null or YScalar { IsNull: true }:
                top.Missing("environments", " (list them in promotion order, e.g. staging then production)");
                break;
            case YSequence seq:
                // The short form: a list of names.
                foreach (var item in seq.Items)
                {
                    if (item is YScalar { IsNull: false } s && CheckName(s.Value, s.Pos, "environment"))
                    {
                        AddUnique(result, new EnvironmentConfig { Name = s.Value, Pos = s.Pos }, s.Pos);
                    }
                    else if (item is not YScalar)
                    {
                        _diagnostics.Add(item.Pos, "type", $"environment names must be strings, not {item.Describe()}");
                    }
                }

                break;
            case YMapping map:
                foreach (var pair in map.Pairs)
                {
                    if (!CheckName(pair.Key.Value, pair.Key.Pos, "environment"))
                    {
                        continue;
                    }

                    var config = new EnvironmentConfig { Name = pair.Key.Value, Pos = pair.Key.Pos };
                    if (pair.Value is YMapping body)
                    {
                        var r = new MapReader(body, $"environment '{pair.Key.Value}'", _diagnostics, EnvironmentKeys);
                        config = config with { Traffic = ReadTraffic(r), Description = r.String("description") };
                    }
                    else if (pair.Value is not YScalar { IsNull: true })
                    {
                        _diagnostics.Add(pair.Value.Pos, "type", $"environment '{pair.Key.Value}' must be a mapping (or empty), not {pair.Value.Describe()}");
                    }

                    result.Add(config);
                }

                break;
            default:
                top.TypeError("environments", node, "a mapping or a list of names");
                break;
        }

        if (node is not null && result.Count == 0 && node is not YScalar)
        {
            _diagnostics.Add(node.Pos, "missing-key", "'environments' names no environment");
        }

        return result;
    }

    /// <summary>An environment's default traffic policy: <c>traffic</c>, or the older <c>no-traffic: true</c> — one of them.</summary>
    private TrafficPolicy ReadTraffic(MapReader r)
    {
        var policy = r.Enum("traffic", TrafficPolicies.ByName);
        var noTraffic = r.Bool("no-traffic");
        if (policy is not null && noTraffic is not null)
        {
            _diagnostics.Add(r.PosOf("no-traffic"), "traffic", $"{r.Context} gives both 'traffic' and 'no-traffic'; keep 'traffic: {TrafficPolicies.Name(policy.Value)}' and remove 'no-traffic'");
        }

        return policy ?? (noTraffic == true ? TrafficPolicy.NoTraffic : TrafficPolicy.Immediate);
    }

    private void AddUnique(List<EnvironmentConfig> list, EnvironmentConfig env, SourcePos pos)
    {
        if (list.Any(e => e.Name == env.Name))
        {
            _diagnostics.Add(pos, "duplicate", $"environment '{env.Name}' is listed twice");
            return;
        }

        list.Add(env);
    }

    /// <summary>Names become service names, file names and URL parts: lowercase words joined by hyphens.</summary>
    internal bool CheckName(string name, SourcePos pos, string what) => CheckName(name, pos, what, _diagnostics);

    internal static bool CheckName(string name, SourcePos pos, string what, DiagnosticBag diagnostics)
    {
        if (NamePattern().IsMatch(name) && name.Length <= 63)
        {
            return true;
        }

        diagnostics.Add(pos, "name", $"{what} name '{name}' must be lowercase letters, digits and hyphens, start with a letter, at most 63 characters");
        return false;
    }

    /// <summary>
    /// A project id or region as Google Cloud spells them (<c>my-project-1</c>, <c>us-central1</c>; the rules are
    /// <see cref="ResourceNames.Project"/> and <see cref="ResourceNames.Region"/>): they become URL path segments
    /// and gcloud arguments.
    /// </summary>
    /// <returns>The value as written (a bad one with a diagnostic at it, so the matrix has no model but no rule reports it missing).</returns>
    internal static string? CheckProjectAndRegion(MapReader r, string key, DiagnosticBag diagnostics)
    {
        var value = r.String(key);
        if (value is not null && (key == "project" ? ResourceNames.Project(value) : ResourceNames.Region(value)) is { } problem)
        {
            diagnostics.Add(r.PosOf(key), "name", $"{(key == "project" ? "project id" : "region")} '{value}' in {r.Context} {problem}");
        }

        return value;
    }

    [GeneratedRegex("^[a-z]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex NamePattern();
}
