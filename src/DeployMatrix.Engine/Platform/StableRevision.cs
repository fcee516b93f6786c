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

    /// <summary>What a change records as it begins: the revision holding all traffic, or null when the traffic is split (the last record stands).</summary>
    public static string? ToRecord(IReadOnlyList<TrafficAssignment> before) =>
        before.SingleOrDefault(t => t.Percent == 100)?.Revision;
}
