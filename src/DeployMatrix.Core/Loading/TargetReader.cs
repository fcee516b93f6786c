using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Naming;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Loading;

/// <summary>
/// Reads a lane's <c>targets</c> and <c>environments</c>: which environments the lane deploys to, and on
/// which platform and service in each. An environment without a target is one the lane skips.
/// </summary>
internal sealed class TargetReader(DiagnosticBag diagnostics, Defaults defaults, IReadOnlyList<EnvironmentConfig> environments)
{
    private static readonly string[] TargetKeys = ["platform", "project", "region", "service", "image", "job", "port", "domain", "env", "requires", "traffic"];

    /// <summary>A target that lists its regions also says in which order they go.</summary>
    private static readonly string[] RegionalTargetKeys = [.. TargetKeys, "regions", "order"];

    /// <summary>
    /// The lane's targets: with an <c>environments</c> list, one per listed environment in its order (written, or
    /// made of the lane's and the defaults' values); without one, those written, in file order.
    /// </summary>
    public (List<Target> Targets, IReadOnlyList<string>? Listed) Read(MapReader lane, string laneName)
    {
        var listed = ReadEnvironments(lane, laneName);
        var written = new List<Target>();
        var map = lane.Mapping("targets");
        foreach (var pair in map?.Pairs ?? [])
        {
            var env = pair.Key.Value;
            if (!environments.Any(e => e.Name == env))
            {
                diagnostics.Add(pair.Key.Pos, "unknown-env", $"lane '{laneName}' has a target for environment '{env}', which 'environments' does not list{DidYouMean.Hint(env, environments.Select(e => e.Name))}");
                continue;
            }

            if (listed is not null && !listed.Any(l => l.Name == env))
            {
                diagnostics.Add(pair.Key.Pos, "unknown-env", $"lane '{laneName}' has a target for '{env}', which its 'environments' ({string.Join(", ", listed.Select(l => l.Name))}) leaves out; add '{env}' there or remove the target");
                continue;
            }

            switch (pair.Value)
            {
                case YSequence list:
                    written.AddRange(new RegionReader(diagnostics, laneName, env).ReadList(list, (body, pos, order) => ReadTarget(body, env, laneName, pos, order)));
                    break;
                case YMapping body when body.Get("regions") is not null || body.Get("order") is not null:
                    written.AddRange(new RegionReader(diagnostics, laneName, env).ReadRegions(body, RegionalTargetKeys, (merged, pos, order) => ReadTarget(merged, env, laneName, pos, order)));
                    break;
                case YMapping or YScalar { IsNull: true }:
                    // An empty target ("staging:") takes every value from the lane and the defaults.
                    written.Add(ReadTarget(pair.Value as YMapping ?? new YMapping(pair.Value.Pos, []), env, laneName, pair.Key.Pos));
                    break;
                default:
                    diagnostics.Add(pair.Value.Pos, "type", $"target '{env}' of lane '{laneName}' must be a mapping, not {pair.Value.Describe()}");
                    break;
            }
        }

        if (listed is null)
        {
            return (written, null);
        }

        var targets = listed.SelectMany(l => written.Any(t => t.Environment == l.Name)
            ? written.Where(t => t.Environment == l.Name)
            : [ReadTarget(new YMapping(l.Pos, []), l.Name, laneName, l.Pos)]).ToList();
        return (targets, [.. listed.Select(l => l.Name)]);
    }

    /// <summary>The lane's <c>environments</c>: known environment names, each once; null when the lane does not list them.</summary>
    private List<(string Name, SourcePos Pos)>? ReadEnvironments(MapReader lane, string laneName)
    {
        if (!lane.Has("environments"))
        {
            return null;
        }

        var names = new List<(string Name, SourcePos Pos)>();
        foreach (var item in lane.List("environments", allowSingle: true))
        {
            if (item is not YScalar { IsNull: false } s)
            {
                diagnostics.Add(item.Pos, "type", $"items of 'environments' in lane '{laneName}' must be environment names, not {item.Describe()}");
            }
            else if (!environments.Any(e => e.Name == s.Value))
            {
                diagnostics.Add(s.Pos, "unknown-env", $"lane '{laneName}' lists environment '{s.Value}', which the matrix's 'environments' does not{DidYouMean.Hint(s.Value, environments.Select(e => e.Name))}");
            }
            else if (names.Any(n => n.Name == s.Value))
            {
                diagnostics.Add(s.Pos, "duplicate", $"lane '{laneName}' lists environment '{s.Value}' twice");
            }
            else
            {
                names.Add((s.Value, s.Pos));
            }
        }

        if (names.Count == 0 && lane.Node("environments") is YSequence { Items.Count: 0 } empty)
        {
            diagnostics.Add(empty.Pos, "missing-key", $"'environments' of lane '{laneName}' names no environment; list those it deploys to, or remove the key");
        }

        // Promotion order is the matrix's, whatever order the lane lists them in.
        return [.. names.OrderBy(n => environments.ToList().FindIndex(e => e.Name == n.Name))];
    }

    /// <param name="order">For one of several regions of the environment: how they run; null for its only target.</param>
    private Target ReadTarget(YMapping body, string env, string laneName, SourcePos pos, WaveOrder? order = null)
    {
        var r = new MapReader(body, $"target '{env}' of lane '{laneName}'", diagnostics, TargetKeys);
        var service = r.String("service") ?? laneName;
        if (ResourceNames.Service(service) is { } badService)
        {
            diagnostics.Add(r.PosOf("service"), "name", $"service name '{service}' of target '{env}' of lane '{laneName}' {badService}");
        }

        var image = r.String("image");
        if (image is not null && !image.Contains(Lane.TagPlaceholder, StringComparison.Ordinal))
        {
            diagnostics.Add(r.PosOf("image"), "image-tag", $"image of target '{env}' of lane '{laneName}' must contain the {Lane.TagPlaceholder} placeholder");
        }

        var domain = r.String("domain");
        if (domain is not null && ResourceNames.Domain(domain) is { } badDomain)
        {
            diagnostics.Add(r.PosOf("domain"), "name", $"domain '{domain}' of target '{env}' of lane '{laneName}' {badDomain}");
            domain = null;
        }

        return new Target
        {
            Environment = env,
            Platform = r.Enum("platform", MatrixReader.Platforms) ?? defaults.Platform,
            Project = MatrixReader.CheckProjectAndRegion(r, "project", diagnostics) ?? defaults.Project,
            Region = MatrixReader.CheckProjectAndRegion(r, "region", diagnostics) ?? defaults.Region,
            Service = service,
            Image = image,
            Job = LaneReader.JobName(r),
            Port = (int?)r.Integer("port", 1, 65535),
            Domain = domain,
            Env = LaneReader.Variables(r),
            Requires = r.Has("requires") ? RequirementReader.Read(r) : null,
            Traffic = r.Enum("traffic", TrafficPolicies.ByName),
            Order = order,
            Pos = pos,
        };
    }
}
