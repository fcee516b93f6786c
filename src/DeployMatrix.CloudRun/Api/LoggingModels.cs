using System.Text.Json;

namespace DeployMatrix.CloudRun.Api;

// The parts of Cloud Logging v2 (google.logging.v2) entries.list sends and answers that this platform uses.

/// <summary>ListLogEntriesRequest: where to look (<c>projects/P</c>), the filter, the order, a page.</summary>
public sealed record ListLogEntriesRequest
{
    public required IReadOnlyList<string> ResourceNames { get; init; }

    public required string Filter { get; init; }

    public string? OrderBy { get; init; }

    public int? PageSize { get; init; }

    public string? PageToken { get; init; }
}

public sealed record ListLogEntriesResponse
{
    public IReadOnlyList<LoggingEntry>? Entries { get; init; }

    public string? NextPageToken { get; init; }
}

/// <summary>
/// LogEntry: one of <c>textPayload</c>, <c>jsonPayload</c>, <c>protoPayload</c> carries what was logged;
/// <c>insertId</c> tells apart entries with the same timestamp (LogEntry reference: entries of one project with the
/// same timestamp and insertId are duplicates, and entries.list orders equal timestamps by it). Cloud Build's entries
/// carry the step in <c>labels.build_step</c>.
/// </summary>
public sealed record LoggingEntry
{
    public string? LogName { get; init; }

    public string? InsertId { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public LabeledThing? Resource { get; init; }

    public DateTimeOffset? Timestamp { get; init; }

    public string? Severity { get; init; }

    public string? TextPayload { get; init; }

    public JsonElement? JsonPayload { get; init; }

    public JsonElement? ProtoPayload { get; init; }
}
