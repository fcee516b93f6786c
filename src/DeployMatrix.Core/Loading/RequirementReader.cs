using DeployMatrix.Core.Model;
using DeployMatrix.Core.Naming;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Loading;

/// <summary>
/// Reads <c>requires:</c> of a lane or target: a list whose items are a variable's name, or
/// <c>{ name, secret, when }</c> where <c>when</c> maps variables to a value or a list of values.
/// </summary>
internal static class RequirementReader
{
    private static readonly string[] Keys = ["name", "secret", "when"];

    public static IReadOnlyList<Requirement> Read(MapReader owner)
    {
        var result = new List<Requirement>();
        foreach (var item in owner.List("requires"))
        {
            var requirement = item switch
            {
                YScalar { IsNull: false } s => Named(owner, s.Value, s.Pos) is { } name ? new Requirement { Name = name, Pos = s.Pos } : null,
                YMapping m => ReadMapping(owner, m),
                _ => Refuse(owner, item),
            };
            if (requirement is null)
            {
                continue;
            }

            if (result.Any(r => r.Name == requirement.Name))
            {
                owner.Diagnostics.Add(requirement.Pos, "duplicate", $"variable '{requirement.Name}' is listed twice in 'requires' of {owner.Context}; give it once (with all its conditions in one 'when')");
                continue;
            }

            result.Add(requirement);
        }

        return result;
    }

    /// <summary>The lane's requirements with the target's added; a variable the target names again takes the target's entry.</summary>
    public static IReadOnlyList<Requirement> Merge(IReadOnlyList<Requirement> lane, IReadOnlyList<Requirement>? target) =>
        target is null or { Count: 0 } ? lane : [.. lane.Where(l => target.All(t => t.Name != l.Name)), .. target];

    private static Requirement? ReadMapping(MapReader owner, YMapping node)
    {
        var r = new MapReader(node, $"a requirement in 'requires' of {owner.Context}", owner.Diagnostics, Keys);
        var raw = r.String("name", required: true);
        var name = raw is null ? null : Named(owner, raw, r.PosOf("name"));
        var secret = r.Bool("secret") ?? false;
        var when = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (r.Node("when") is { } whenNode)
        {
            if (whenNode is not YMapping conditions || conditions.Pairs.Count == 0)
            {
                owner.Diagnostics.Add(whenNode.Pos, "type", $"'when' of {(name is null ? "a requirement" : $"requirement '{name}'")} in {owner.Context} must map variables to the value (or list of values) they must have, e.g. when: {{ MODE: workos }}");
            }
            else
            {
                foreach (var pair in conditions.Pairs)
                {
                    if (Named(owner, pair.Key.Value, pair.Key.Pos) is { } variable && Values(owner, pair.Value, variable) is { } values)
                    {
                        when[variable] = values;
                    }
                }
            }
        }

        return name is null ? null : new Requirement { Name = name, Secret = secret, When = when, Pos = r.PosOf("name") };
    }

    private static List<string>? Values(MapReader owner, YNode node, string variable)
    {
        var items = node is YSequence seq ? seq.Items : [node];
        var values = new List<string>();
        foreach (var item in items)
        {
            if (item is YScalar { IsNull: false } s)
            {
                values.Add(s.Value);
            }
            else
            {
                owner.Diagnostics.Add(item.Pos, "type", $"'{variable}' in 'when' of a requirement in {owner.Context} must be a value or a list of values, not {item.Describe()}");
                return null;
            }
        }

        if (values.Count == 0)
        {
            owner.Diagnostics.Add(node.Pos, "type", $"'{variable}' in 'when' of {owner.Context} lists no value; give the value (or values) it must have");
            return null;
        }

        return values;
    }

    private static string? Named(MapReader owner, string name, Diagnostics.SourcePos pos)
    {
        if (ResourceNames.Variable(name) is { } problem)
        {
            owner.Diagnostics.Add(pos, "name", $"variable '{name}' in 'requires' of {owner.Context} {problem}");
            return null;
        }

        return name;
    }

    private static Requirement? Refuse(MapReader owner, YNode item)
    {
        owner.Diagnostics.Add(item.Pos, "type", $"items of 'requires' in {owner.Context} must be a variable's name or a mapping with 'name' (and 'secret', 'when'), not {item.Describe()}");
        return null;
    }
}
