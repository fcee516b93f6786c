namespace DeployMatrix.State;

/// <summary>
/// One journal row. An operation's rows share <see cref="Operation"/> (the id of its first row): a start
/// row (no step, status "started", the process's <see cref="Pid"/>), a row before and after every step,
/// and an end row (no step, the final status) that names the operation's audit record (<see cref="AuditId"/>).
/// </summary>
public sealed record JournalRecord(
    long Id, string At, string Actor, string? Lane, string? Env, string Action, string? Step, string Status, string? Detail,
    long? Operation, int? Pid, long? AuditId);

public sealed partial class StateStore
{
    private const string JournalColumns = "id, at, actor, lane, env, action, step, status, detail, operation, pid, audit_id";

    /// <summary>Opens an operation's journal with its start row; returns the operation's id.</summary>
    public long BeginOperation(string actor, string? lane, string? env, string action, string? detail) => Write(() =>
    {
        var id = Scalar<long>(
            "INSERT INTO journal (at, actor, lane, env, action, step, status, detail, pid) VALUES (@t, @a, @l, @e, @act, NULL, 'started', @d, @pid) RETURNING id",
            ("@t", Now), ("@a", actor), ("@l", lane), ("@e", env), ("@act", action), ("@d", detail), ("@pid", Owner.Pid));
        Execute("UPDATE journal SET operation = @id WHERE id = @id", ("@id", id));
        return id;
    });

    /// <summary>Appends a row to an operation's journal: a step before (status "started") or after it runs, or the operation's end (<paramref name="step"/> null, with its audit record).</summary>
    public long Journal(long operation, string actor, string? lane, string? env, string action, string? step, string status, string? detail, long? auditId = null) =>
        Scalar<long>(
            "INSERT INTO journal (at, actor, lane, env, action, step, status, detail, operation, audit_id) VALUES (@t, @a, @l, @e, @act, @s, @st, @d, @op, @audit) RETURNING id",
            ("@t", Now), ("@a", actor), ("@l", lane), ("@e", env), ("@act", action), ("@s", step), ("@st", status), ("@d", detail), ("@op", operation), ("@audit", auditId));

    /// <summary>The newest rows first.</summary>
    public IReadOnlyList<JournalRecord> JournalEntries(int limit = 100) =>
        Query($"SELECT {JournalColumns} FROM journal ORDER BY id DESC LIMIT @n", ReadJournal, ("@n", limit));

    /// <summary>
    /// The journal rows behind an audit record, oldest first: the rows of the operation that named it, after the
    /// previous row that named a record (a rollout's stage) up to the row naming this one, so each step is shown
    /// under one record. Empty for records no operation journaled.
    /// </summary>
    public IReadOnlyList<JournalRecord> OperationOf(long auditId)
    {
        if (Query($"SELECT {JournalColumns} FROM journal WHERE audit_id = @a LIMIT 1", ReadJournal, ("@a", auditId)).FirstOrDefault() is not { Operation: { } operation } named)
        {
            return [];
        }

        var rows = Query($"SELECT {JournalColumns} FROM journal WHERE operation = @op ORDER BY id", ReadJournal, ("@op", operation));
        var after = rows.LastOrDefault(r => r.Id < named.Id && r.AuditId is not null)?.Id ?? 0;
        return [.. rows.Where(r => r.Id > after && r.Id <= named.Id)];
    }

    /// <summary>Start rows of operations that never recorded an end: still running, or stopped by a crash or a signal.</summary>
    public IReadOnlyList<JournalRecord> UnfinishedOperations() =>
        Query($"""
            SELECT {JournalColumns} FROM journal s
            WHERE s.step IS NULL AND s.status = 'started' AND s.operation = s.id
              AND NOT EXISTS (SELECT 1 FROM journal e WHERE e.operation = s.id AND e.id <> s.id AND e.step IS NULL)
            ORDER BY s.id
            """, ReadJournal);

    /// <summary>
    /// The unfinished operations of <paramref name="action"/> on this lane and environment whose owner is gone (killed,
    /// crashed), other than <paramref name="except"/>, oldest first. An operation whose owner may still be alive is not one.
    /// </summary>
    public IReadOnlyList<JournalRecord> GoneOperations(string action, string? lane, string? env, long except) =>
        [.. UnfinishedOperations().Where(o => o.Id != except && o.Action == action && o.Lane == lane && o.Env == env && o.Pid is { } pid && !Owner.IsAlive(pid))];

    /// <summary>The last step journaled for an operation (what it was doing when it stopped).</summary>
    public JournalRecord? LastStep(long operation) =>
        Query($"SELECT {JournalColumns} FROM journal WHERE operation = @op AND step IS NOT NULL ORDER BY id DESC LIMIT 1", ReadJournal, ("@op", operation)).FirstOrDefault();

    private static JournalRecord ReadJournal(System.Data.Common.DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), NullableString(r, 3), NullableString(r, 4), r.GetString(5), NullableString(r, 6), r.GetString(7),
        NullableString(r, 8), r.IsDBNull(9) ? null : r.GetInt64(9), NullableInt(r, 10), r.IsDBNull(11) ? null : r.GetInt64(11));
}
