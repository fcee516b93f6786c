using System.Text.RegularExpressions;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Architecture;

/// <summary>
/// The shape of the code, read from its sources: namespaces depend on each other without cycles, and
/// commands parse, call one engine operation and print — only the composition root builds state stores,
/// platforms, locks and agent clients.
/// </summary>
/// <remarks>
/// Reading sources sees <c>using</c> directives and qualified names only, not every type a method body
/// touches. NetArchTest.Rules (served) reads dependencies from the compiled assemblies; these checks
/// should move to it — kept here until then because the cycle check over all namespaces has no
/// equivalent rule there and would still need this graph walk.
/// </remarks>
public sealed partial class LayeringTests
{
    private static readonly string Src = Path.Combine(RepoPaths.Root, "src");

    [Fact]
    public void NoNamespace_DependsOnItselfThroughAnother()
    {
        var graph = NamespaceGraph();

        var cycles = graph.Keys.Select(ns => CycleFrom(ns, graph)).OfType<string>().Distinct().ToList();

        Assert.True(graph.Count > 30, $"only {graph.Count} namespaces read under {Src}");
        Assert.Empty(cycles);
    }

    [Fact]
    public void CommandClasses_UseNoStoreNoPlatformNoLock_OnlyEngineOperations()
    {
        var commands = Directory.GetFiles(Path.Combine(Src, "DeployMatrix.Cli", "Commands"), "*.cs");
        var offenders = commands
            .SelectMany(file => Infrastructure().Matches(File.ReadAllText(file)).Select(m => $"{Path.GetFileName(file)}: {m.Value}"))
            .ToList();

        Assert.True(commands.Length > 10);
        Assert.Empty(offenders);
    }

    /// <summary>Each namespace and the DeployMatrix namespaces its files name: by <c>using</c>, or by a qualified name.</summary>
    private static Dictionary<string, HashSet<string>> NamespaceGraph()
    {
        var files = Directory.GetFiles(Src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (Text: File.ReadAllText(f), Namespace: FileNamespace().Match(File.ReadAllText(f))))
            .Where(f => f.Namespace.Success)
            .Select(f => (f.Text, Namespace: f.Namespace.Groups[1].Value))
            .ToList();
        var known = files.Select(f => f.Namespace).ToHashSet(StringComparer.Ordinal);
        var graph = known.ToDictionary(ns => ns, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (text, ns) in files)
        {
            var named = UsingDirective().Matches(text).Select(m => m.Groups[1].Value)
                .Concat(QualifiedName().Matches(text).Select(m => Longest(m.Groups[1].Value, known)).OfType<string>());
            graph[ns].UnionWith(named.Where(n => n != ns && known.Contains(n)));
        }

        return graph;
    }

    /// <summary>The longest known namespace that starts a qualified name (Engine.Rollout.RolloutState → DeployMatrix.Engine.Rollout).</summary>
    private static string? Longest(string qualified, HashSet<string> known)
    {
        var parts = (qualified.StartsWith("DeployMatrix.", StringComparison.Ordinal) ? qualified : "DeployMatrix." + qualified).Split('.');
        return Enumerable.Range(2, parts.Length - 1).Reverse().Select(i => string.Join('.', parts[..i])).FirstOrDefault(known.Contains);
    }

    /// <returns>A cycle through <paramref name="start"/> as "A → B → A", or null.</returns>
    private static string? CycleFrom(string start, Dictionary<string, HashSet<string>> graph)
    {
        var path = new List<string> { start };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return Walk(start);

        string? Walk(string at)
        {
            foreach (var next in graph[at].Order(StringComparer.Ordinal))
            {
                if (next == start)
                {
                    return string.Join(" → ", path.Append(start));
                }

                if (seen.Add(next))
                {
                    path.Add(next);
                    if (Walk(next) is { } cycle)
                    {
                        return cycle;
                    }

                    path.RemoveAt(path.Count - 1);
                }
            }

            return null;
        }
    }

    [GeneratedRegex(@"^namespace ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();

    [GeneratedRegex(@"^using (DeployMatrix[\w.]*);", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"(?<![\w.])((?:DeployMatrix\.)?(?:Core|Engine|State|Local|CloudRun|Cli)(?:\.[A-Z]\w*)+)\.")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"\b(StateStore|IPlatform|LocalPlatform|CloudRunPlatform|LaneLocks|AgentClient|SqliteConnection)\b")]
    private static partial Regex Infrastructure();
}
