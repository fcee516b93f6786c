using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Web.Matrix;

/// <summary>The matrix page: lanes (file order) × environments (file order), each cell one target or one per region.</summary>
public sealed record MatrixView(string File, IReadOnlyList<string> Environments, IReadOnlyList<LaneRow> Lanes, string ReadAt);

/// <param name="Frozen">A legacy lane: every entrypoint refuses it (exit 78).</param>
/// <param name="Command">A binary lane's canonical command line.</param>
public sealed record LaneRow(string Name, string? Description, string Kind, bool Frozen, string? Command, IReadOnlyList<CellView> Cells);

/// <summary>One lane in one environment: a target per region (one without regions), or none where the lane skips the environment.</summary>
public sealed record CellView(string Env, IReadOnlyList<TargetCell> Targets)
{
    public bool Skipped => Targets.Count == 0;
}

/// <summary>What one target serves now, with the last deploy and rollout the store remembers.</summary>
/// <param name="Service">What its platform reports; null when nothing was deployed yet or the platform could not be read (<see cref="Error"/>).</param>
/// <param name="Error">Why the platform could not be read (one line), or null.</param>
public sealed record TargetCell(string Lane, string Env, string? Region, string ServiceName, string Platform, ServiceView? Service, string? Error,
    DeployRecord? LastDeploy, RolloutBadge? Rollout)
{
    /// <summary>The revision with most traffic now, whose tag and digest the cell shows; with no traffic at all, the latest created one.</summary>
    public Engine.Platform.RevisionInfo? Serving => Service is not { } service ? null
        : service.Revisions.Where(r => r.Percent > 0).OrderByDescending(r => r.Percent).FirstOrDefault()
            ?? service.Revisions.FirstOrDefault(r => r.Name == service.LatestCreatedRevision);
}

/// <summary>The last deploy's audit record: when (ISO 8601 UTC), who, its result and its receipt's file name.</summary>
public sealed record DeployRecord(string At, string Actor, string Result, string? Receipt);

/// <summary>The latest rollout of the target: its state as people read it (running, paused, held, interrupted, succeeded, failed, aborted) and its stage.</summary>
public sealed record RolloutBadge(long Id, string State, int Stage, bool Finished);
