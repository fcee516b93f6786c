using System.Text.Json;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Validation;

namespace DeployMatrix.Core.Guard;

public enum FindingKind
{
    ForbiddenCommand,
    LegacyAsset,
}

/// <summary>One thing the guard found, printed as <c>path:line: message</c>.</summary>
public sealed record GuardFinding(string Path, int Line, FindingKind Kind, string Subject, string Message)
{
    public override string ToString() => $"{Path}:{Line}: {Message}";
}

/// <summary>
/// Scans a repository's scripts, CI workflows, Makefiles, package.json scripts and Dockerfiles for
/// forbidden legacy commands, and its tree for legacy assets outside the archived paths.
/// </summary>
public static class RepositoryGuard
{
    private static readonly HashSet<string> SkippedDirectories =
        [".git", "node_modules", "target", "bin", "obj", "artifacts", ".deploymatrix", "vendor", ".venv"];

    /// <param name="root">The folder to scan.</param>
    /// <param name="matrix">Supplies the forbidden commands, asset patterns and archived paths (relative to the matrix's folder).</param>
    public static IReadOnlyList<GuardFinding> Scan(Matrix matrix, string root)
    {
        var findings = new List<GuardFinding>();
        var assets = matrix.Legacy.Assets.Select(Glob.ToRegex).ToList();
        foreach (var file in Files(root))
        {
            var relative = Path.GetRelativePath(matrix.BaseDirectory, file).Replace('\\', '/');
            var display = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (matrix.Legacy.Archived.Any(a => relative.StartsWith(a, StringComparison.Ordinal)) ||
                Path.GetFullPath(file) == Path.GetFullPath(matrix.SourcePath))
            {
                continue;
            }

            var asset = matrix.Legacy.Assets.Where((_, i) => assets[i].IsMatch(relative)).FirstOrDefault();
            if (asset is not null)
            {
                findings.Add(new GuardFinding(display, 1, FindingKind.LegacyAsset, asset,
                    $"legacy deploy asset outside the archived paths (matches '{asset}'); move it under {string.Join(" or ", matrix.Legacy.Archived)}"));
            }

            if (ScriptKinds.Classify(file) is { } kind && matrix.Legacy.Commands.Count > 0)
            {
                findings.AddRange(ScanCommands(matrix.Legacy, file, display, kind));
            }
        }

        return [.. findings.OrderBy(f => f.Path, StringComparer.Ordinal).ThenBy(f => f.Line)];
    }

    private static IEnumerable<GuardFinding> ScanCommands(LegacyPolicy policy, string file, string display, ScriptKind kind)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (IOException)
        {
            yield break;
        }

        var candidates = kind == ScriptKind.PackageJson ? PackageScripts(lines) : lines.Select((l, i) => (Line: i + 1, Text: l));
        foreach (var (line, text) in candidates)
        {
            var code = kind == ScriptKind.PackageJson ? text : StripComment(text);
            if (code.Length == 0 || LegacyMatcher.FindForbidden(policy, CommandWords.Split(code)) is not { } forbidden)
            {
                continue;
            }

            yield return new GuardFinding(display, line, FindingKind.ForbiddenCommand, forbidden.Command,
                $"forbidden legacy command '{forbidden.Command}' ({forbidden.Why}); use the matrix's canonical lanes instead");
        }
    }

    /// <summary>The values of package.json's "scripts", each with the line it is written on.</summary>
    private static IEnumerable<(int Line, string Text)> PackageScripts(string[] lines)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(string.Join('\n', lines));
        }
        catch (JsonException)
        {
            yield break;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("scripts", out var scripts) || scripts.ValueKind != JsonValueKind.Object)
            {
                yield break;
            }

            foreach (var script in scripts.EnumerateObject().Where(s => s.Value.ValueKind == JsonValueKind.String))
            {
                var key = JsonSerializer.Serialize(script.Name);
                var line = Array.FindIndex(lines, l => l.Contains(key, StringComparison.Ordinal)) + 1;
                yield return (Math.Max(line, 1), script.Value.GetString()!);
            }
        }
    }

    /// <summary>Drops a <c>#</c> comment that starts a word outside quotes (shell, YAML, Makefile, Dockerfile).</summary>
    internal static string StripComment(string line)
    {
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i].TrimEnd();
            }
        }

        return line.Trim();
    }

    private static IEnumerable<string> Files(string root)
    {
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            IEnumerable<string> entries;
            try
            {
                entries = Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var entry in entries)
            {
                if (Directory.Exists(entry))
                {
                    if (!SkippedDirectories.Contains(Path.GetFileName(entry)) && (File.GetAttributes(entry) & FileAttributes.ReparsePoint) == 0)
                    {
                        pending.Push(entry);
                    }
                }
                else
                {
                    yield return entry;
                }
            }
        }
    }
}
