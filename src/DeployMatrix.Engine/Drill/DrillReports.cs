using System.Text.Json;
using DeployMatrix.Engine.Gate;

namespace DeployMatrix.Engine.Drill;

/// <summary>One step as the drill's <c>summary.json</c> recorded it.</summary>
/// <param name="Status"><c>pass</c> or <c>fail</c>.</param>
/// <param name="StartedAt">ISO 8601 UTC.</param>
/// <param name="Log">Its log, relative to the report's folder (<c>logs/ID.log</c>).</param>
public sealed record DrillReportStep(string StepId, string Description, string Command, string Status, string Reason, string StartedAt, string EndedAt, string Log);

/// <summary>
/// A drill's report read back from the files <see cref="DrillReport"/> wrote in its folder: <c>summary.json</c>'s
/// target, revisions, verdict and steps, and the folder's files (<c>timeline.svg</c> among them).
/// </summary>
/// <param name="Name">The folder's name under <c>.deploymatrix/drills/</c>: the drill's start, <c>20261201T190000Z</c>.</param>
/// <param name="GeneratedAt">ISO 8601 UTC.</param>
/// <param name="OverallStatus"><c>pass</c> or <c>fail</c>.</param>
/// <param name="Files">The folder's files relative to it (<c>summary.json</c>, <c>logs/ID.log</c>), ordinal order.</param>
public sealed record DrillReportView(string Name, string GeneratedAt, string Service, string? Region, string Stable, string Canary, bool DryRun,
    string OverallStatus, IReadOnlyList<DrillReportStep> Steps, IReadOnlyList<string> Files)
{
    /// <summary>The chart's file name in every report's folder: the one name the dashboard relies on.</summary>
    public const string Timeline = "timeline.svg";

    public bool HasTimeline => Files.Contains(Timeline, StringComparer.Ordinal);
}

/// <summary>Reads the drill reports kept in <c>.deploymatrix/drills/</c>, one folder per drill.</summary>
public static class DrillReports
{
    /// <summary>Every report in <paramref name="drills"/> whose <c>summary.json</c> reads, newest first (by folder name, the drill's start).</summary>
    public static IReadOnlyList<DrillReportView> List(string drills) =>
        !Directory.Exists(drills) ? [] :
        [.. Directory.EnumerateDirectories(drills).Where(d => new DirectoryInfo(d).LinkTarget is null)
            .Select(Path.GetFileName).OrderDescending(StringComparer.Ordinal)
            .Select(name => TryRead(drills, name!)).OfType<DrillReportView>()];

    /// <summary>One report by its folder name, or null when there is no such folder or its <c>summary.json</c> does not read.</summary>
    /// <remarks>Names with separators or dots only are refused: a report is a folder directly inside <paramref name="drills"/>.</remarks>
    public static DrillReportView? TryRead(string drills, string name)
    {
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.Trim('.').Length == 0)
        {
            return null;
        }

        var folder = Path.Combine(drills, name);
        var summary = Path.Combine(folder, "summary.json");
        if (!File.Exists(summary) || new DirectoryInfo(folder).LinkTarget is not null)
        {
            return null;
        }

        try
        {
            var root = JsonDocument.Parse(File.ReadAllText(summary)).RootElement;
            if (Text(root, "schema") != DrillReport.Schema)
            {
                return null;
            }

            var steps = root.GetProperty("steps").EnumerateArray().Select(s => new DrillReportStep(
                Text(s, "step_id"), Text(s, "description"), Text(s, "command"), Text(s, "status"), Text(s, "reason"),
                Text(s, "started_at"), Text(s, "ended_at"), "logs/" + Path.GetFileName(Text(s, "log_path")))).ToList();
            return new DrillReportView(name, Text(root, "generated_at"), Text(root, "service"),
                root.TryGetProperty("region", out var region) && region.ValueKind == JsonValueKind.String ? region.GetString() : null,
                Text(root, "stable_revision"), Text(root, "canary_revision"),
                root.TryGetProperty("dry_run", out var dry) && dry.ValueKind == JsonValueKind.True, Text(root, "overall_status"), steps,
                GateEvidence.FilesIn(folder));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            return null;
        }
    }

    private static string Text(JsonElement e, string name) => GateEvidence.Text(e, name);
}
