using DeployMatrix.Core.Planning;

namespace DeployMatrix.Engine.Platform;

/// <summary>
/// Which release tags a deploy removes: tags DeployMatrix created (<see cref="TrafficTags.IsOurs"/>) on
/// revisions older than the newest <c>keep</c> tagged releases, unless the revision serves traffic (the
/// stable's tag URL stays as long as it serves). Tags a team set are never touched. Like Cloud Deploy's
/// and Argo Rollouts' own revision history limits, this keeps the tag list (Cloud Run allows a bounded
/// number of traffic entries per service) from growing with every deploy.
/// </summary>
public static class ReleaseTagTidy
{
    /// <param name="tags">The service's traffic tags.</param>
    /// <param name="newestFirst">The service's revisions, newest first (a tag on a revision not listed counts as oldest).</param>
    /// <param name="serving">Revisions with a share of traffic above 0%.</param>
    /// <param name="keep">How many of the newest tagged releases keep their tag (at least 1).</param>
    /// <returns>The tags to remove, oldest release first.</returns>
    public static IReadOnlyList<string> ToRemove(IReadOnlyList<TrafficTag> tags, IReadOnlyList<string> newestFirst, IReadOnlyCollection<string> serving, int keep)
    {
        int Age(TrafficTag t) => t.Revision is null ? -1 : newestFirst.ToList().IndexOf(t.Revision) is var i and >= 0 ? i : int.MaxValue;
        var ours = tags.Where(t => TrafficTags.IsOurs(t.Tag) && t.Revision is not null).OrderBy(Age).ToList();
        return [.. ours.Skip(Math.Max(keep, 1))
            .Where(t => !serving.Contains(t.Revision!))
            .OrderByDescending(Age)
            .Select(t => t.Tag)];
    }
}
