using DeployMatrix.Core;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Recording;
using DeployMatrix.State;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>One audit record with the journaled steps of the operation that wrote it (empty for a decision with no steps).</summary>
public sealed record HistoryEntry(AuditRecord Record, IReadOnlyList<JournalRecord> Steps);

/// <summary>An operation that began and recorded no end: still running (its process is alive), or interrupted (killed, crashed).</summary>
public sealed record UnfinishedOperation(JournalRecord Start, JournalRecord? LastStep, bool Running);

/// <summary>The history a matrix's releases left: the audit chain and the journal behind it.</summary>
public sealed record History(IReadOnlyList<HistoryEntry> Entries, IReadOnlyList<UnfinishedOperation> Unfinished);

/// <summary><c>history</c> and <c>audit verify</c>: read the audit log and the journal; check the hash chain and every receipt.</summary>
public sealed class AuditOperation(Workspace ws)
{
    /// <param name="lane">Only this lane's records; null: all.</param>
    /// <param name="limit">How many of the newest records (at least 1).</param>
    /// <param name="steps">Read each record's journaled steps too.</param>
    /// <exception cref="OperationException">A lane the matrix does not have and no record names (a typo; exit 2). A lane removed from the matrix still shows its records.</exception>
    public History History(string? lane, int limit, bool steps)
    {
        if (limit < 1)
        {
            throw new OperationException($"--limit {limit}: give a number of records, 1 or more", ExitCodes.BadInput);
        }

        var all = ws.State.AuditRecords();
        if (lane is not null && ws.Matrix.FindLane(lane) is null && !all.Any(r => r.Lane == lane))
        {
            throw new OperationException(TargetResolver.UnknownLane(ws.Matrix, lane), ExitCodes.BadInput);
        }

        var records = all.Where(r => lane is null || r.Lane == lane).TakeLast(limit).ToList();
        var entries = records.Select(r => new HistoryEntry(r, steps ? [.. ws.State.OperationOf(r.Id).Where(j => j.Step is not null)] : [])).ToList();
        var unfinished = ws.State.UnfinishedOperations()
            .Where(j => lane is null || j.Lane == lane)
            .Select(j => new UnfinishedOperation(j, ws.State.LastStep(j.Id), j.Pid is { } pid && ws.State.Owner.IsAlive(pid)))
            .ToList();
        return new History(entries, unfinished);
    }

    /// <returns>The first broken record and why, or null when the chain and every receipt are intact; and how many records there are.</returns>
    /// <param name="anchor">A head hash from <c>audit anchor</c>, which the chain must still reach.</param>
    public (AuditProblem? Problem, int Count) Verify(string? anchor = null) => (new AuditLog(ws.State).Verify(anchor), ws.State.AuditRecords().Count);

    /// <summary>The chain's head: the newest record's id and its hash.</summary>
    public (long Id, string Hash) Anchor() => new AuditLog(ws.State).Head();
}
