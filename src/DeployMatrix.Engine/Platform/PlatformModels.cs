using DeployMatrix.Core;

namespace DeployMatrix.Engine.Platform;

/// <summary>A revision's share of traffic, an integer percent 0..100.</summary>
public sealed record TrafficAssignment(string Revision, int Percent)
{
    /// <summary>
    /// A traffic tag to give the revision in the same update (on Cloud Run its URL of its own,
    /// <c>https://TAG---SERVICE-….run.app</c>; kept even at 0%), or null. The local platform reaches every revision
    /// on its own port and keeps no tag from a split.
    /// </summary>
    public string? Tag { get; init; }
}

/// <summary>
/// One revision as its platform reports it. <see cref="Tag"/> is the tag it was deployed with (kept by the
/// platform with the revision); the rest is what a person needs in <c>status</c>.
/// </summary>
public sealed record RevisionInfo(string Name, string Image, string Status, string? Reason = null, string? Tag = null)
{
    /// <summary>The image's content digest (<c>sha256:…</c>) where the platform knows it.</summary>
    public string? Digest { get; init; }

    /// <summary>Its share of the service's traffic now, percent.</summary>
    public int Percent { get; init; }

    /// <summary>Whether a process (or an instance) runs it now; a drained revision is stopped.</summary>
    public bool Running { get; init; } = true;

    /// <summary>The local platform's loopback port of this revision.</summary>
    public int? Port { get; init; }

    public int? Pid { get; init; }

    public string? CreatedAt { get; init; }

    public string? ReadyAt { get; init; }

    /// <summary>What the platform measured since the revision started, where it measures.</summary>
    public RevisionCounters? Metrics { get; init; }
}

/// <summary>A revision's request counters: requests, 5xx answers (and failures to deliver), and the p95 latency in ms.</summary>
public sealed record RevisionCounters(long Requests, long Failed, double P95Ms);

/// <summary>A service as its platform reports it; revisions newest first.</summary>
public sealed record ServiceStatus(
    string Service,
    string? Image,
    IReadOnlyList<RevisionInfo> Revisions,
    IReadOnlyList<TrafficAssignment> Traffic,
    string? LatestCreatedRevision,
    string? LatestReadyRevision,
    Uri? Url)
{
    /// <summary>Null when the platform has no such service yet (never deployed).</summary>
    public static ServiceStatus None(string service) => new(service, null, [], [], null, null, null);

    /// <summary>The local platform's listener port.</summary>
    public int? ListenerPort { get; init; }

    /// <summary>The service's traffic tags: each names a revision (null: the latest ready one) and gives it a URL of its own.</summary>
    public IReadOnlyList<TrafficTag> Tags { get; init; } = [];

    /// <summary>Since when the platform itself serves maintenance (the local proxy's view).</summary>
    public string? MaintenanceSince { get; init; }
}

/// <summary>A traffic tag (Run Admin API v2, <c>TrafficTarget.tag</c>): a URL of its own for <paramref name="Revision"/> (null: the latest ready revision).</summary>
public sealed record TrafficTag(string Tag, string? Revision, Uri? Url);

public sealed record JobExecution(string Name, string Image, bool Succeeded, int? ExitCode, string? LogLocation)
{
    /// <summary>How its tasks ended, where the platform counts them ("1 of 2 tasks succeeded, 1 cancelled"); null for one process.</summary>
    public string? Tasks { get; init; }
}

/// <summary>A platform call failed for a reason the user should read; <see cref="OperationException.ExitCode"/> is what the command exits with.</summary>
public class PlatformException(string message, int exitCode = ExitCodes.Failed) : OperationException(message, exitCode);

/// <summary>
/// The target's service does not exist on its platform (Cloud Run answered 404 for it). Reads that cover many
/// targets (<c>status</c>, the dashboard) show it on that service alone; a change to it fails as any platform error.
/// </summary>
public sealed class ServiceNotFoundException(string message) : PlatformException(message);
