using DeployMatrix.Core.Planning;

namespace DeployMatrix.Engine.Platform;

/// <summary>
/// What a platform must do for plans to run on it. The local platform and Cloud Run implement the same
/// port, so one executor and one step list serve both.
/// </summary>
public interface IPlatform
{
    /// <summary>Turns the plan's image (a template filled with the tag) into the exact image to deploy, or fails when it does not exist.</summary>
    Task<string> ResolveImageAsync(TargetRef target, string image, CancellationToken cancellationToken);

    /// <summary>Creates a revision that runs <paramref name="image"/>; with <paramref name="noTraffic"/> traffic is untouched.</summary>
    Task<RevisionInfo> DeployRevisionAsync(TargetRef target, string image, bool noTraffic, CancellationToken cancellationToken);

    Task<ServiceStatus> GetServiceAsync(TargetRef target, CancellationToken cancellationToken);

    /// <summary>Sets the whole split at once (percents sum to 100).</summary>
    Task SetTrafficAsync(TargetRef target, IReadOnlyList<TrafficAssignment> splits, CancellationToken cancellationToken);

    Task UpdateJobImageAsync(TargetRef target, string job, string image, CancellationToken cancellationToken);

    Task<string?> GetJobImageAsync(TargetRef target, string job, CancellationToken cancellationToken);

    /// <summary>Runs the job once with its current image and waits for it to finish.</summary>
    Task<JobExecution> ExecuteJobAsync(TargetRef target, string job, IReadOnlyList<string> command, CancellationToken cancellationToken);

    /// <summary>The job's most recent execution, or null when it never ran.</summary>
    Task<JobExecution?> GetLatestExecutionAsync(TargetRef target, string job, CancellationToken cancellationToken);

    /// <summary>Where a revision (or, with null, the service) answers HTTP.</summary>
    Task<Uri> UrlAsync(TargetRef target, string? revision, CancellationToken cancellationToken);

    /// <summary>Cumulative request counters per revision since it started (canary analysis takes differences between two reads).</summary>
    Task<IReadOnlyDictionary<string, Core.Analysis.RevisionSample>> GetRevisionMetricsAsync(TargetRef target, CancellationToken cancellationToken);
}

public sealed record TrafficAssignment(string Revision, int Percent);

public sealed record RevisionInfo(string Name, string Image, string Status, string? Reason = null, string? Tag = null);

public sealed record ServiceStatus(
    string Service,
    string? Image,
    IReadOnlyList<RevisionInfo> Revisions,
    IReadOnlyList<TrafficAssignment> Traffic,
    string? LatestCreatedRevision,
    string? LatestReadyRevision,
    string? StableRevision,
    Uri? Url);

public sealed record JobExecution(string Name, string Image, bool Succeeded, int? ExitCode, string? LogLocation);

/// <summary>A platform call failed for a reason the user should read; <see cref="ExitCode"/> is what the command exits with.</summary>
public sealed class PlatformException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
