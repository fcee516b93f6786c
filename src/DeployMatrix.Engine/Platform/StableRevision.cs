namespace DeployMatrix.Engine.Platform;

/// <summary>
/// The stable revision, defined once for both platforms: the revision that served all traffic before the
/// latest change to the service's traffic began. The engine records it in the state store as each change
/// begins (a deploy, a traffic change, a rollout, a drill — not a rollback, which returns to it); while
/// nothing is recorded (a service DeployMatrix has not changed yet), it is the revision serving the most
/// traffic now. Rollback sends all traffic to it; a rollout and a drill compare their canary with it.
/// </summary>
public static class StableRevision
{
    /// <param name="recorded">What the store recorded for the service, or null.</param>
    /// <param name="revisions">The service's revisions: a recorded revision that no longer exists does not count.</param>
    public static string? Of(string? recorded, IReadOnlyList<TrafficAssignment> traffic, IReadOnlyList<RevisionInfo> revisions) =>
        recorded is not null && (revisions.Count == 0 || revisions.Any(r => r.Name == recorded)) ? recorded : Serving(traffic);

    /// <summary>The revision serving the most traffic now (the first named among equals), or null when none serves.</summary>
    public static string? Serving(IReadOnlyList<TrafficAssignment> traffic) =>
        traffic.Where(t => t.Percent > 0).OrderByDescending(t => t.Percent).FirstOrDefault()?.Revision;

    /// <summary>
    /// Where a rollback with no revision named goes: the stable revision (<see cref="Of"/>), the last one that
    /// served all traffic before the change in place now — if it can serve (ready, or stopped after serving),
    /// and is not already serving all traffic. A rollback that would change nothing is refused, never reported done.
    /// </summary>
    /// <param name="service">The service's name, for the refusal.</param>
    /// <param name="revisions">The service's revisions with their status; empty where the executor cannot list them (gcloud), which skips the readiness check.</param>
    /// <returns>The revision to send all traffic to, or null and the refusal, which names the revisions <c>--to</c> could take.</returns>
    public static (string? Revision, string? Refusal) RollbackTarget(string service, string? recorded, IReadOnlyList<TrafficAssignment> traffic, IReadOnlyList<RevisionInfo> revisions)
    {
        var stable = Of(recorded, traffic, revisions);
        var serving = ToRecord(traffic);
        var others = revisions.Where(r => r.Name != serving && CanServe(r)).Select(r => r.Name).ToList();
        var choice = revisions.Count == 0 ? "its revisions were not listed; 'status' shows them"
            : others.Count == 0 ? "no other revision can serve"
            : $"revisions that can: {string.Join(", ", others)}";
        if (stable is null)
        {
            return (null, $"{service} has no stable revision: none served all its traffic before the latest change; name one with --to ({choice})");
        }

        if (stable == serving)
        {
            return (null, $"{stable}, the stable revision, already serves all traffic of {service}: nothing to roll back; name another with --to ({choice})");
        }

        if (revisions.FirstOrDefault(r => r.Name == stable) is { } info && !CanServe(info))
        {
            return (null, $"the stable revision {stable} of {service} cannot serve ({info.Status}{(info.Reason is null ? "" : $": {info.Reason}")}); name another with --to ({choice})");
        }

        return (stable, null);
    }

    /// <summary>Ready, or stopped after it was (the local platform stops a revision that lost all traffic, and starts it again with traffic).</summary>
    private static bool CanServe(RevisionInfo revision) => revision.Status is "ready" or "stopped";

    /// <summary>What a change records as it begins: the revision holding all traffic, or null when the traffic is split (the last record stands).</summary>
    public static string? ToRecord(IReadOnlyList<TrafficAssignment> before) =>
        before.SingleOrDefault(t => t.Percent == 100)?.Revision;
}
