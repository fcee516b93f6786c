namespace DeployMatrix.State;

public sealed record ArtifactRecord(string Digest, string Lane, string Path, long Size);

/// <param name="Listener">The listener's settings as the local platform wrote them (JSON), or null for the defaults.</param>
public sealed record ServiceRecord(string Env, string Service, string Lane, int? Port, string? Listener = null);

public static class RevisionStatus
{
    public const string Starting = "starting";
    public const string Ready = "ready";
    public const string Failed = "failed";
    public const string Stopped = "stopped";
}

/// <summary>One revision: what runs (<see cref="Launch"/>, JSON), what should run (<see cref="Desired"/>), and what does.</summary>
public sealed record RevisionRecord(
    string Name, string Env, string Service, string Lane, string Image, string Digest, string? Tag, string Launch,
    string Status, string Desired, int? Port, int? Pid, string? Reason, string CreatedAt, string? ReadyAt)
{
    public bool ShouldRun => Desired == "run";

    /// <summary>When <see cref="Pid"/> started (clock ticks since boot); with it, what names the process (a pid alone may be reused).</summary>
    public long? PidStartTime { get; init; }
}

public sealed record TrafficSplitRecord(string Revision, int Percent);

public sealed record JobRecord(string Env, string Job, string Lane, string Service, string Image, string Digest);

public static class ExecutionStatus
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    /// <summary>Stopped on purpose: the command that started it was cancelled.</summary>
    public const string Cancelled = "cancelled";
}

public sealed record ExecutionRecord(long Id, string Env, string Job, string Image, string Digest, string Status, int? ExitCode, string LogPath, string StartedAt, string? EndedAt)
{
    /// <summary>The process that owns the execution (the local agent).</summary>
    public int? OwnerPid { get; init; }

    /// <summary>The execution's own process.</summary>
    public int? Pid { get; init; }

    /// <summary>When <see cref="Pid"/> started (clock ticks since boot); with it, what names the process (a pid alone may be reused).</summary>
    public long? PidStartTime { get; init; }

    /// <summary>Why it ended as it did, when not by its own exit (cancelled, its owner vanished).</summary>
    public string? Reason { get; init; }
}
