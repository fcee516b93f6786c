using System.Text.Json;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.Local.Platform;

/// <summary>
/// The local platform's log probe: the service's revisions' log files, whose lines the agent stamps with when
/// they came (<see cref="LogStamp"/>). A line's severity is read as Cloud Logging reads a container's line: a
/// JSON line's <c>severity</c> (or <c>level</c>) field; otherwise a level word at its start, in capitals, brackets or
/// before a colon — <c>ERROR</c>, <c>[error]</c>, <c>error:</c> — also after a time stamp of the program's own (<c>2026-… ERROR …</c>); anything
/// else is DEFAULT. Lines without the agent's stamp (written before it stamped them) have no known time and never count.
/// </summary>
internal static class LocalLogs
{
    /// <summary>Counts the matching lines of each revision's log (<paramref name="logs"/>: revision and log path; a missing file has none).</summary>
    public static LogReadout Read(IEnumerable<(string Revision, string Path)> logs, LogQuery query)
    {
        long count = 0;
        var first = new List<LogEntry>();
        foreach (var (revision, path) in logs)
        {
            if (!File.Exists(path))
            {
                continue;
            }

            // Shared: the revision may still be writing its log.
            using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            while (reader.ReadLine() is { } line)
            {
                if (LogStamp.Split(line) is not { } stamped || stamped.Time < query.Since)
                {
                    continue;
                }

                var severity = SeverityOf(stamped.Text);
                if (severity < query.Severity)
                {
                    continue;
                }

                count++;
                first.Add(new LogEntry(stamped.Time, severity, revision, stamped.Text));
            }
        }

        return new LogReadout(count, [.. first.OrderBy(e => e.Timestamp).Take(query.Keep)], "the revisions' log files");
    }

    /// <summary>A line's severity: a JSON line's <c>severity</c> or <c>level</c>, else a level word among its first two words, else DEFAULT.</summary>
    internal static LogSeverity SeverityOf(string text)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var json = JsonDocument.Parse(trimmed);
                foreach (var field in (string[])["severity", "level"])
                {
                    if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty(field, out var value)
                        && value.ValueKind == JsonValueKind.String && LogSeverities.Parse(value.GetString()!) is { } parsed)
                    {
                        return parsed;
                    }
                }

                return LogSeverity.Default;
            }
            catch (JsonException)
            {
                // Not JSON after all: read it as text.
            }
        }

        var words = trimmed.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        foreach (var (word, i) in words.Take(2).Select((w, i) => (w, i)))
        {
            // A level word is written as one (ERROR, [error], error:): a sentence that starts "error rates …" is not one.
            var bare = word.Trim('[', ']', ':');
            if ((bare.Length < word.Length || bare.All(char.IsAsciiLetterUpper)) && LogSeverities.Parse(bare) is { } level)
            {
                return level;
            }

            // Only a program's own time stamp may come before the level word.
            if (i == 0 && !char.IsAsciiDigit(word[0]))
            {
                break;
            }
        }

        return LogSeverity.Default;
    }
}
