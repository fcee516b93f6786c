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
    private static readonly string[] GateKeys = ["max-5xx-rate", "max-p95-regression", "min-requests"];

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
