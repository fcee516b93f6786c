using System.Text.Json;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Validation;

namespace DeployMatrix.Core.Guard;

public enum FindingKind
{
    ForbiddenCommand,
    LegacyAsset,

    /// <summary>A script past <see cref="RepositoryGuard.MaxScriptBytes"/>: not read, so it fails the guard rather than hide a command.</summary>
    TooLarge,
}

/// <summary>One thing the guard found, printed as <c>path:line: message</c>.</summary>
public sealed record GuardFinding(string Path, int Line, FindingKind Kind, string Subject, string Message)
{
    public override string ToString() => $"{Path}:{Line}: {Message}";
}

/// <summary>
/// Scans a repository's scripts, CI workflows, Makefiles, package.json scripts and Dockerfiles for
/// forbidden legacy commands, and its tree for legacy assets outside the archived paths.
/// It reads the disk (kept here rather than behind an interface: the scan is its only IO) and reads
/// regular files only: symbolic links are neither followed nor read (a link to <c>/dev/zero</c> would
/// never end), and FIFOs, sockets and devices — which report a size of 0 — are never opened (opening a
/// FIFO blocks until a writer comes, past any timeout).
/// </summary>
public static class RepositoryGuard
{
    /// <summary>The largest script read, 1 MiB; a larger one is a <see cref="FindingKind.TooLarge"/> finding, not skipped, so padding cannot hide a command.</summary>
    public const int MaxScriptBytes = 1 << 20;

    private static readonly HashSet<string> SkippedDirectories =
        [".git", "node_modules", "target", "bin", "obj", "artifacts", ".deploymatrix", "vendor", ".venv"];

    /// <param name="root">The folder to scan.</param>
    /// <param name="matrix">Supplies the forbidden commands, asset patterns and archived paths (relative to the matrix's folder).</param>
    /// <param name="ct">Stops the scan between files and reads (a gate check's timeout).</param>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static IReadOnlyList<GuardFinding> Scan(Matrix matrix, string root, CancellationToken ct = default)
    {
        var findings = new List<GuardFinding>();
        var assets = matrix.Legacy.Assets.Select(Glob.ToRegex).ToList();
        foreach (var (file, readable) in Files(root))
        {
            ct.ThrowIfCancellationRequested();
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

            if (readable && ScriptKinds.Classify(file) is { } kind && matrix.Legacy.Commands.Count > 0)
            {
                if (ReadScript(file, ct) is not { } lines)
                {
                    findings.Add(new GuardFinding(display, 1, FindingKind.TooLarge, display,
                        $"script larger than {MaxScriptBytes / (1 << 20)} MiB is not scanned for legacy commands; split it or move it under {string.Join(" or ", matrix.Legacy.Archived)}"));
                    continue;
                }

                findings.AddRange(ScanCommands(matrix.Legacy, lines, display, kind));
            }
        }

        return [.. findings.OrderBy(f => f.Path, StringComparer.Ordinal).ThenBy(f => f.Line)];
    }

    /// <summary>The lines of a regular file of at most <see cref="MaxScriptBytes"/>; null when it is larger; empty when it cannot be read.</summary>
    private static string[]? ReadScript(string file, CancellationToken ct)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            // Read one byte past the cap: the file may have grown since it was listed.
            var buffer = new byte[MaxScriptBytes + 1];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                length += read;
            }

            if (length > MaxScriptBytes)
            {
                return null;
            }

            using var reader = new StreamReader(new MemoryStream(buffer, 0, length));
            var lines = new List<string>();
            while (reader.ReadLine() is { } line)
            {
                lines.Add(line);
            }

            return [.. lines];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static IEnumerable<GuardFinding> ScanCommands(LegacyPolicy policy, string[] lines, string display, ScriptKind kind)
    {
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

    /// <summary>Every entry under <paramref name="root"/> but folders; readable: a regular file with content (not a link, FIFO, socket or device).</summary>
    private static IEnumerable<(string Path, bool Readable)> Files(string root)
    {
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(e => e.FullName, StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var entry in entries)
            {
                // Attributes and LinkTarget come from lstat: a link is seen as a link, never as what it points at.
                var link = entry.LinkTarget is not null || (entry.Attributes & FileAttributes.ReparsePoint) != 0;
                if (entry is DirectoryInfo)
                {
                    if (!link && !SkippedDirectories.Contains(entry.Name))
                    {
                        pending.Push(entry.FullName);
                    }
                }
                else
                {
                    // FIFOs, sockets and devices report a size of 0, as an empty file does: none has a line to scan.
                    yield return (entry.FullName, !link && entry is FileInfo { Length: > 0 });
                }
            }
        }
    }
}
