using DeployMatrix.Core.Model;

namespace DeployMatrix.Engine.Platform;

/// <summary>Which of a service's log entries to count: at or above <paramref name="Severity"/>, stamped at or after <paramref name="Since"/>; keep the first <paramref name="Keep"/> to show.</summary>
public sealed record LogQuery(LogSeverity Severity, DateTimeOffset Since, int Keep);

/// <summary>One log entry as a check shows it: when, how severe, which revision wrote it, and its text (not yet redacted).</summary>
public sealed record LogEntry(DateTimeOffset Timestamp, LogSeverity Severity, string? Revision, string Text);

/// <summary>How many entries matched a <see cref="LogQuery"/>, the first few (oldest first), and where they were read (for the check's log).</summary>
public sealed record LogReadout(long Count, IReadOnlyList<LogEntry> First, string Source);
