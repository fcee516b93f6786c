using System.Globalization;

namespace DeployMatrix.Engine.Processes;

/// <summary>The time stamp that starts a line of a revision's log (<see cref="ProcessSpec.LogTimestamps"/>): written and read in one place.</summary>
public static class LogStamp
{
    private const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>The stamp's length in characters (<c>2026-02-21T10:15:00.123Z</c>).</summary>
    public const int Length = 24;

    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>A line's stamp and the text after it; null when the line does not start with one.</summary>
    public static (DateTimeOffset Time, string Text)? Split(string line) =>
        line.Length > Length && line[Length] == ' '
            && DateTimeOffset.TryParseExact(line[..Length], Pattern, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? (time, line[(Length + 1)..])
            : null;
}
