using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Loading;

/// <summary>Reads the <c>legacy</c> section: forbidden commands, legacy asset patterns, archived paths.</summary>
internal static class LegacyReader
{
    private static readonly string[] Keys = ["commands", "assets", "archived"];
    private static readonly string[] CommandKeys = ["command", "why"];

    public static LegacyPolicy Read(MapReader top, DiagnosticBag diagnostics)
    {
        if (top.Mapping("legacy") is not { } node)
        {
            return LegacyPolicy.Empty;
        }

        var r = new MapReader(node, "'legacy'", diagnostics, Keys);
        var commands = new List<ForbiddenCommand>();
        foreach (var item in r.List("commands"))
        {
            switch (item)
            {
                case YScalar { IsNull: false } s:
                    commands.Add(new ForbiddenCommand(s.Value, "legacy command", s.Pos));
                    break;
                case YMapping m:
                    var c = new MapReader(m, "a command of 'legacy'", diagnostics, CommandKeys);
                    if (c.String("command", required: true) is { } text)
                    {
                        commands.Add(new ForbiddenCommand(text, c.String("why") ?? "legacy command", c.PosOf("command")));
                    }

                    break;
                default:
                    diagnostics.Add(item.Pos, "type", $"a legacy command is a string or a mapping with 'command' and 'why', not {item.Describe()}");
                    break;
            }
        }

        foreach (var command in commands.Where(c => c.Words.Count == 0))
        {
            diagnostics.Add(command.Pos, "type", "a legacy command must name at least one word");
        }

        var archived = r.StringList("archived");
        foreach (var (path, itemNode) in archived.Zip(r.List("archived")))
        {
            if (Path.IsPathRooted(path) || path.Split('/').Contains(".."))
            {
                diagnostics.Add(itemNode.Pos, "path", $"archived path '{path}' must be relative to the repository root and stay inside it");
            }
        }

        return new LegacyPolicy
        {
            Commands = [.. commands.Where(c => c.Words.Count > 0)],
            Assets = r.StringList("assets"),
            Archived = [.. archived.Select(a => a.TrimEnd('/') + "/")],
        };
    }
}
