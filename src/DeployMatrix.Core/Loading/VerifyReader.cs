using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Loading;

/// <summary>
/// Reads a lane's <c>verify</c>: per environment the lane deploys to, a list of checks written as gate checks
/// (<c>id</c> and one of <c>http</c>, <c>budget</c>, <c>command</c>, …), or a gate check's id alone to run that
/// check as the gate defines it (one rule set for both).
/// </summary>
internal static class VerifyReader
{
    /// <param name="targets">The lane's targets: a verify environment must be one of theirs.</param>
    public static List<VerifyConfig> Read(MapReader lane, string laneName, IReadOnlyList<Target> targets, GateConfig? gate, DiagnosticBag d)
    {
        var configs = new List<VerifyConfig>();
        if (lane.Mapping("verify") is not { } map)
        {
            return configs;
        }

        foreach (var pair in map.Pairs)
        {
            var env = pair.Key.Value;
            if (targets.All(t => t.Environment != env))
            {
                var deploysTo = targets.Select(t => t.Environment).Distinct(StringComparer.Ordinal).ToList();
                d.Add(pair.Key.Pos, "unknown-env", deploysTo.Count == 0
                    ? $"'verify' of lane '{laneName}' names environment '{env}', but the lane has no targets to deploy; remove 'verify'"
                    : $"'verify' of lane '{laneName}' names environment '{env}', which the lane does not deploy to{DidYouMean.Hint(env, deploysTo)}");
                continue;
            }

            if (pair.Value is not YSequence list)
            {
                d.Add(pair.Value.Pos, "type", $"'verify.{env}' of lane '{laneName}' must be a list of checks (gate check ids, or checks written like the gate's), not {pair.Value.Describe()}");
                continue;
            }

            var checks = new List<GateCheck>();
            foreach (var item in list.Items)
            {
                if (Check(item, laneName, env, gate, d) is not { } check)
                {
                    continue;
                }

                if (checks.FirstOrDefault(c => c.Id == check.Id) is { } first)
                {
                    d.Add(item.Pos, "duplicate", $"verify check id '{check.Id}' is used twice in 'verify.{env}' of lane '{laneName}' (first at line {first.Pos.Line}:{first.Pos.Column})");
                    continue;
                }

                checks.Add(check);
            }

            if (list.Items.Count == 0)
            {
                d.Add(list.Pos, "missing-key", $"'verify.{env}' of lane '{laneName}' lists no check; add one or remove '{env}'");
            }

            configs.Add(new VerifyConfig { Environment = env, Checks = checks, Pos = pair.Key.Pos });
        }

        return configs;
    }

    private static GateCheck? Check(YNode item, string laneName, string env, GateConfig? gate, DiagnosticBag d)
    {
        switch (item)
        {
            case YScalar { IsNull: false } reference:
            {
                var known = gate?.Checks ?? [];
                if (known.FirstOrDefault(c => c.Id == reference.Value) is { } check)
                {
                    // The gate's check as written there, positioned here: a rule about it in this lane points at this line.
                    return check with { Pos = reference.Pos };
                }

                d.Add(reference.Pos, "unknown-check", known.Count == 0
                    ? $"'verify.{env}' of lane '{laneName}' names gate check '{reference.Value}', but the matrix has no gate checks; write the check here (id and one check type)"
                    : $"'verify.{env}' of lane '{laneName}' names gate check '{reference.Value}', which 'gate.checks' does not define{DidYouMean.Hint(reference.Value, known.Select(c => c.Id))}");
                return null;
            }

            case YMapping m:
                return GateReader.ReadCheck(new MapReader(m, "a verify check", d, GateReader.CheckKeys), "verify check");
            default:
                d.Add(item.Pos, "type", $"items of 'verify.{env}' of lane '{laneName}' must be a gate check id or a check mapping (id and one check type), not {item.Describe()}");
                return null;
        }
    }
}
