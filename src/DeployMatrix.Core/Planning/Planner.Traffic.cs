using DeployMatrix.Core.Naming;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Core.Planning;

/// <summary>The traffic actions' plans: a canary's share, an explicit split, a rollback; each revision name checked before it reaches a platform.</summary>
public static partial class Planner
{
    private static PlanResult PlanSetTraffic(ResolvedTarget target, PlanRequest request)
    {
        var where = target.Ref;
        if (request.Splits is { } explicitSplits)
        {
            return PlanExplicitTraffic(target, request, explicitSplits);
        }

        if (request.Percent is not { } percent)
        {
            return PlanResult.BadInput("set-traffic needs the canary's share: --percent N (an integer 0..100; stable gets 100-N)");
        }

        if (percent is < 0 or > 100)
        {
            return PlanResult.BadInput($"--percent {percent} is outside 0..100; give the canary's share as an integer 0..100 (stable gets the rest)");
        }

        if ((BadRevision(target, request.Stable, "stable revision") ?? BadRevision(target, request.Canary, "canary revision")) is { } badName)
        {
            return PlanResult.BadInput(badName);
        }

        var stable = RevisionOrRole(request.Stable, RevisionRef.Stable);
        var canary = RevisionOrRole(request.Canary, RevisionRef.Canary);
        if (stable.Name is not null && stable.Name == canary.Name)
        {
            return PlanResult.BadInput($"--stable and --canary both name '{stable.Name}'; give two different revisions");
        }

        var notes = new List<string>();
        if (request.Stable is null || request.Canary is null)
        {
            notes.Add("STABLE is the stable revision (the one that served all traffic before the latest change) and CANARY the latest ready revision, resolved when the step runs; pass --stable/--canary to pin them.");
        }

        return Success(target, request, PlanAction.SetTraffic, [new SetTraffic(where, [new TrafficSplit(stable, 100 - percent), new TrafficSplit(canary, percent)])], notes);
    }

    private static PlanResult PlanExplicitTraffic(ResolvedTarget target, PlanRequest request, IReadOnlyList<(string Revision, int Percent)> splits)
    {
        var where = target.Ref;
        if (splits.Any(s => s.Percent is < 0 or > 100) || splits.Sum(s => s.Percent) != 100)
        {
            return PlanResult.BadInput($"traffic percents must be integers 0..100 that sum to 100, e.g. --to {where.Service}-00002-abc=90,{where.Service}-00003-def=10");
        }

        if (splits.Where(s => s.Revision != "LATEST").Select(s => BadRevision(target, s.Revision, "revision")).FirstOrDefault(e => e is not null) is { } badName)
        {
            return PlanResult.BadInput(badName);
        }

        if (splits.GroupBy(s => s.Revision, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            return PlanResult.BadInput($"revision '{twice.Key}' appears twice in --to; name each revision once");
        }

        return Success(target, request, PlanAction.SetTraffic, [new SetTraffic(where, [.. splits.Select(s => new TrafficSplit(s.Revision == "LATEST" ? RevisionRef.Latest : RevisionRef.Named(s.Revision), s.Percent))])]);
    }

    private static PlanResult PlanRollback(ResolvedTarget target, PlanRequest request) =>
        BadRevision(target, request.Stable, "revision") is { } badName
            ? PlanResult.BadInput(badName)
            : Success(target, request, PlanAction.Rollback,
                [new SetTraffic(target.Ref, [new TrafficSplit(RevisionOrRole(request.Stable, RevisionRef.Stable), 100)])],
                request.Stable is null ? ["STABLE is the stable revision, the one that served all traffic before the latest change (resolved when the step runs); pass --stable REV to pin it."] : []);

    /// <summary>
    /// Why a revision a person named (<c>--stable</c>, <c>--canary</c>, <c>--to</c>) cannot be one of the target's
    /// (<see cref="ResourceNames.Revision"/>), or null: checked before any command is built, so no value reaches a
    /// platform as more than one revision (<c>a=1,b</c> in gcloud's <c>--to-revisions</c> would name two).
    /// </summary>
    private static string? BadRevision(ResolvedTarget target, string? name, string what) =>
        name is not null && ResourceNames.Revision(name, target.Service) is { } problem ? $"{what} '{name}' {problem}" : null;

    private static RevisionRef RevisionOrRole(string? name, RevisionRef role) => name is null ? role : RevisionRef.Named(name);
}
