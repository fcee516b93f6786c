using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Loading;

/// <summary>
/// Reads an environment's several targets, one per region: a target's <c>regions</c> (each a region name, or a
/// mapping of <c>region</c> and the target keys it sets for that region alone, over the target's) with its
/// <c>order</c>, or a list of targets (run in sequence). Each becomes a <see cref="Target"/> of its own, in the
/// order written; a list of one region is a plain target, so it keeps its names and state as written.
/// </summary>
internal sealed class RegionReader(DiagnosticBag diagnostics, string laneName, string env)
{
    /// <summary>Reads one target from its mapping (the target's keys with the region's over them), at its position, in its wave order.</summary>
    public delegate Target ReadOne(YMapping body, SourcePos pos, WaveOrder? order);

    private string Context => $"target '{env}' of lane '{laneName}'";

    /// <summary>A target with <c>regions</c> and <c>order</c>: one target per region, the target's keys shared by all.</summary>
    public IReadOnlyList<Target> ReadRegions(YMapping body, IReadOnlyCollection<string> keys, ReadOne read)
    {
        // Read once here, so a problem with a shared key or 'order' is reported once, not once per region.
        var r = new MapReader(body, Context, diagnostics, keys);
        var order = r.Enum("order", WaveOrders.ByName) ?? WaveOrder.Sequential;
        var shared = body.Pairs.Where(p => keys.Contains(p.Key.Value) && p.Key.Value is not "regions" and not "order").ToList();
        if (!r.Has("regions"))
        {
            diagnostics.Add(r.PosOf("order"), "missing-key", $"'order' in {Context} orders its regions, but it lists none; add 'regions: [REGION, …]' or remove 'order'");
            return [read(new YMapping(body.Pos, shared), body.Pos, null)];
        }

        var entries = new List<(YMapping Body, SourcePos Pos, SourcePos RegionPos)>();
        foreach (var item in r.List("regions"))
        {
            switch (item)
            {
                case YScalar { IsNull: false } name:
                    entries.Add((new YMapping(name.Pos, [new YPair(new YScalar(name.Pos, "region", Plain: true), name)]), name.Pos, name.Pos));
                    break;
                case YMapping entry when entry.Get("region") is { } region:
                    entries.Add((entry, entry.Pos, region.Pos));
                    break;
                case YMapping entry:
                    diagnostics.Add(entry.Pos, "missing-key", $"an item of 'regions' in {Context} is missing 'region'; write {{ region: REGION, port: … }}");
                    break;
                default:
                    diagnostics.Add(item.Pos, "type", $"items of 'regions' in {Context} must be region names or mappings with 'region', not {item.Describe()}");
                    break;
            }
        }

        if (entries.Count == 0)
        {
            diagnostics.Add(r.PosOf("regions"), "missing-key", $"'regions' in {Context} names no region; list them, e.g. regions: [us-east1, europe-west1]");
            return [];
        }

        // The region's own keys win over the target's.
        var merged = entries.Select(e => (Body: new YMapping(e.Body.Pos, [.. shared.Where(p => e.Body.Get(p.Key.Value) is null), .. e.Body.Pairs]), e.Pos, e.RegionPos)).ToList();
        return Distinct(merged.Select(e => (Target: read(e.Body, e.Pos, merged.Count > 1 ? order : null), e.RegionPos)));
    }

    /// <summary>An environment written as a list of targets: each a target mapping with its own region, run in sequence.</summary>
    public IReadOnlyList<Target> ReadList(YSequence list, ReadOne read)
    {
        var items = new List<YMapping>();
        foreach (var item in list.Items)
        {
            if (item is YMapping map)
            {
                items.Add(map);
            }
            else
            {
                diagnostics.Add(item.Pos, "type", $"items of {Context} must be targets (mappings with a 'region'), not {item.Describe()}");
            }
        }

        if (items.Count == 0)
        {
            diagnostics.Add(list.Pos, "missing-key", $"{Context} lists no target; write a mapping, or one target per region");
            return [];
        }

        return Distinct(items.Select(i => (Target: read(i, i.Pos, items.Count > 1 ? WaveOrder.Sequential : null), RegionPos: i.Get("region")?.Pos ?? i.Pos)));
    }

    /// <summary>Each region once: two targets of one environment in one region would be one service deployed twice.</summary>
    private List<Target> Distinct(IEnumerable<(Target Target, SourcePos RegionPos)> read)
    {
        var targets = new List<Target>();
        foreach (var (target, pos) in read)
        {
            if (target.Regional && target.Region is null)
            {
                diagnostics.Add(pos, "missing-key", $"{Context} is one of several in '{env}' and needs its 'region' (e.g. region: us-east1), or 'defaults.region'");
            }
            else if (target.Region is { } region && targets.Any(t => t.Region == region))
            {
                diagnostics.Add(pos, "duplicate", $"region '{region}' appears twice in {Context}; give each region once");
                continue;
            }

            targets.Add(target);
        }

        return targets;
    }
}
