using System.Text.Json;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Gate;

/// <summary>One check as the gate's <c>results.json</c> recorded it.</summary>
/// <param name="Status"><c>passed</c>, <c>failed</c> or <c>skipped</c> (<see cref="CheckStatus"/>).</param>
/// <param name="LogPath">Its log, relative to the evidence folder (<c>logs/ID.log</c>).</param>
/// <param name="DurationMs">How long it ran, in milliseconds (0.1 ms resolution).</param>
public sealed record EvidenceCheck(string CheckId, bool Required, string Status, string Description, string Reason, string Command, string LogPath, double DurationMs);

/// <summary>
/// What a gate run left in its evidence folder, read back from the files it wrote (<see cref="EvidenceWriter"/>):
/// <c>results.json</c>'s decision, times and checks, and the folder's files.
/// </summary>
/// <param name="Decision"><c>go</c> or <c>no-go</c>.</param>
/// <param name="StartedAt">ISO 8601 UTC, as the gate stamped it.</param>
/// <param name="Files">The folder's files relative to it, top level first (<c>results.json</c>, <c>logs/ID.log</c>), ordinal order.</param>
public sealed record GateEvidence(string Decision, string StartedAt, string EndedAt, IReadOnlyList<EvidenceCheck> Checks, IReadOnlyList<string> Files)
{
    /// <summary>The folder's files a reader may open: the top level and <c>logs/</c>, nothing deeper, no links.</summary>
    public static IReadOnlyList<string> FilesIn(string folder)
    {
        static IEnumerable<string> Plain(string dir) =>
            Directory.Exists(dir) ? Directory.EnumerateFiles(dir).Where(f => new FileInfo(f).LinkTarget is null).Order(StringComparer.Ordinal) : [];

        return [.. Plain(folder).Select(Path.GetFileName).Concat(Plain(Path.Combine(folder, "logs")).Select(f => "logs/" + Path.GetFileName(f)))!];
    }

    /// <summary>Reads <c>FOLDER/results.json</c> (schema <c>deploymatrix.gate.v1</c>).</summary>
    /// <exception cref="IOException">The folder or its <c>results.json</c> is missing (e.g. a verdict given on another machine, in team mode).</exception>
    /// <exception cref="InvalidDataException">The file is not the gate's results (another schema, or not JSON).</exception>
    public static GateEvidence Read(string folder)
    {
        var path = Path.Combine(folder, "results.json");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no results.json in {folder}", path);
        }

        try
        {
            var root = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
            if (root.GetProperty("schema").GetString() != EvidenceWriter.Schema)
            {
                throw new InvalidDataException($"{path} is not {EvidenceWriter.Schema}");
            }

            var checks = root.GetProperty("checks").EnumerateArray().Select(c => new EvidenceCheck(
                Text(c, "check_id"), c.GetProperty("required").GetBoolean(), Text(c, "status"), Text(c, "description"), Text(c, "reason"),
                Text(c, "command"), Text(c, "log_path"), c.GetProperty("duration_ms").GetDouble())).ToList();
            return new GateEvidence(Text(root, "decision"), Text(root, "started_at"), Text(root, "ended_at"), checks, FilesIn(folder));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path} is not the gate's results: {e.Message}", e);
        }
    }

    /// <summary>A string field of a report's JSON, or "" when it is missing or not a string.</summary>
    internal static string Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
}

/// <summary>A verdict as the store keeps it, with what it was given for and its evidence (or why that cannot be read).</summary>
/// <param name="EvidenceProblem">Why the evidence could not be read (one line), or null.</param>
public sealed record GateVerdict(GateRecord Record, IReadOnlyList<GateRelease> Releases, GateEvidence? Evidence, string? EvidenceProblem);
