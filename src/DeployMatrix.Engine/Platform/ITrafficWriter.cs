using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Engine.Platform;

/// <summary>
/// Where a rollout's traffic moves are carried out (each stage's split, the rollback to stable, abort,
/// promote, the final 100%): through the platform's API (<see cref="PlatformTrafficWriter"/>), or as the
/// gcloud command <c>plan --action rollout --format shell</c> prints (the gcloud executor). Only the
/// writes go through here; the rollout reads the service and its metrics from the platform either way,
/// so one rule set decides what moves and when.
/// </summary>
public interface ITrafficWriter
{
    /// <summary>
    /// Sets the whole split at once: integer percents summing to 100, revisions by name; a 0% entry names a
    /// revision that takes no traffic. Every traffic tag stays where it is.
    /// </summary>
    /// <returns>What was run, to be journaled with the move (the gcloud command line), or null when the platform call says it all.</returns>
    /// <exception cref="PlatformException">The move failed; the split may be as it was.</exception>
    Task<string?> SetTrafficAsync(ResolvedTarget target, IReadOnlyList<TrafficAssignment> split, CancellationToken cancellationToken);
}

/// <summary>Traffic moves through the platform's own call (<see cref="IPlatform.SetTrafficAsync"/>): the API path.</summary>
public sealed class PlatformTrafficWriter(IPlatform platform) : ITrafficWriter
{
    public async Task<string?> SetTrafficAsync(ResolvedTarget target, IReadOnlyList<TrafficAssignment> split, CancellationToken cancellationToken)
    {
        await platform.SetTrafficAsync(target, split, cancellationToken);
        return null;
    }
}
