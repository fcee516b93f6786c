using DeployMatrix.Core.Model;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Loading;

/// <summary>Reads a rollout policy; any field not written is taken from the base (the defaults).</summary>
internal static class RolloutReader
{
    public static readonly string[] Keys = ["stages", "window", "gates", "max-extensions", "on-inconclusive", "gate-checks"];
    private static readonly Dictionary<string, InconclusiveAction> InconclusiveActions = new(StringComparer.Ordinal)
    {
        ["rollback"] = InconclusiveAction.Rollback,
        ["hold"] = InconclusiveAction.Hold,
    };
    private static readonly string[] GateKeys = ["max-5xx-rate", "max-p95-regression", "min-requests", .. LatencyKeys()];
    private static readonly TimeSpan MinCeiling = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan MaxCeiling = TimeSpan.FromMinutes(60);

    public static RolloutPolicy Read(MapReader r, RolloutPolicy baseline)
    {
        var stages = r.Has("stages") ? ReadStages(r) : baseline.Stages;
        var written = r.Duration("window", RolloutPolicy.MinWindow, RolloutPolicy.MaxWindow);
        var gates = baseline.Gates;
        if (r.Mapping("gates") is { } gatesNode)
        {
            var g = new MapReader(gatesNode, $"'gates' of {r.Context}", r.Diagnostics, GateKeys);
            gates = new RolloutGates
            {
                Max5xxRatePercent = g.Percent("max-5xx-rate", 0, 100) ?? gates.Max5xxRatePercent,
                MaxP95RegressionPercent = g.Percent("max-p95-regression", 0, 1000) ?? gates.MaxP95RegressionPercent,
                Latency = ReadLatency(g, gates.Latency),
                MinRequests = (int?)g.Integer("min-requests", 1, 10_000_000) ?? gates.MinRequests,
            };
        }

        return new RolloutPolicy
        {
            Stages = stages,
            Window = written ?? baseline.Window,
            WindowPos = written is null ? baseline.WindowPos : r.PosOf("window"),
            Gates = gates,
            MaxExtensions = (int?)r.Integer("max-extensions", 0, 10) ?? baseline.MaxExtensions,
            OnInconclusive = r.Enum("on-inconclusive", InconclusiveActions) ?? baseline.OnInconclusive,
            GateChecks = r.Bool("gate-checks") ?? baseline.GateChecks,
            GateChecksPos = r.Has("gate-checks") ? r.PosOf("gate-checks") : baseline.GateChecksPos,
        };
    }

    /// <summary>The latency keys besides <c>max-p95-regression</c>: each percentile's regression, then each one's ceiling.</summary>
    private static IEnumerable<string> LatencyKeys() =>
        LatencyGate.Percentiles.Where(p => p != 95).Select(p => new LatencyGate(p, LatencyLimit.Regression, 0).Key)
            .Concat(LatencyGate.Percentiles.Select(p => new LatencyGate(p, LatencyLimit.Ceiling, 0).Key));

    /// <summary>
    /// The gates written here over the inherited ones, key by key. A ceiling (1 ms..60 min) above the ceiling of a
    /// higher percentile can never be the one a canary breaks (a p50 is never above the same requests' p99): refused
    /// where it is written, as the mistake it most likely is.
    /// </summary>
    private static List<LatencyGate> ReadLatency(MapReader g, IReadOnlyList<LatencyGate> inherited)
    {
        var gates = inherited.ToDictionary(x => x.Key, StringComparer.Ordinal);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var percentile in LatencyGate.Percentiles)
        {
            var regression = new LatencyGate(percentile, LatencyLimit.Regression, 0);
            if (percentile != 95 && g.Percent(regression.Key, 0, 1000) is { } percent)
            {
                gates[regression.Key] = regression with { Limit = percent };
                written.Add(regression.Key);
            }

            var ceiling = new LatencyGate(percentile, LatencyLimit.Ceiling, 0);
            if (g.Duration(ceiling.Key, MinCeiling, MaxCeiling) is { } ms)
            {
                gates[ceiling.Key] = ceiling with { Limit = ms.TotalMilliseconds };
                written.Add(ceiling.Key);
            }
        }

        var ceilings = gates.Values.Where(x => x.Kind == LatencyLimit.Ceiling).OrderBy(x => x.Percentile).ToList();
        foreach (var lower in ceilings)
        {
            if (ceilings.FirstOrDefault(higher => higher.Percentile > lower.Percentile && higher.Limit < lower.Limit) is { } broken
                && (written.Contains(lower.Key) || written.Contains(broken.Key)))
            {
                var at = written.Contains(lower.Key) ? lower.Key : broken.Key;
                g.Diagnostics.Add(g.PosOf(at), "range",
                    $"'{lower.Key}' in {g.Context} is {Durations.Format(TimeSpan.FromMilliseconds(lower.Limit))}, above '{broken.Key}' ({Durations.Format(TimeSpan.FromMilliseconds(broken.Limit))}); "
                    + $"a p{lower.Percentile} is never above the same requests' p{broken.Percentile}, so this ceiling could never be the one broken");
            }
        }

        return [.. gates.Values.OrderBy(x => x.Order)];
    }

    /// <summary>Stages are traffic percents for the canary: integers 0..100, strictly ascending, ending at 100.</summary>
    private static List<int> ReadStages(MapReader r)
    {
        var items = r.List("stages");
        var stages = new List<int>();
        var ok = true;
        int? previous = null;
        foreach (var item in items)
        {
            if (Values.Integer(item, $"a stage in {r.Context}", 0, 100, r.Diagnostics) is not { } value)
            {
                ok = false;
                continue;
            }

            if (previous is { } p && value <= p)
            {
                r.Diagnostics.Add(item.Pos, "stages", $"stage {value} in {r.Context} must be greater than the stage before it ({p}); stages are strictly ascending");
                ok = false;
            }

            previous = (int)value;
            stages.Add((int)value);
        }

        if (items.Count == 0 && r.Node("stages") is YSequence)
        {
            r.Diagnostics.Add(r.PosOf("stages"), "stages", $"'stages' in {r.Context} is empty; write at least [100]");
        }
        else if (ok && stages.Count > 0 && stages[^1] != 100)
        {
            r.Diagnostics.Add(items[^1].Pos, "stages", $"the last stage in {r.Context} is {stages[^1]}; a rollout must end at 100");
        }

        return stages;
    }
}
