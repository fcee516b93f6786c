namespace DeployMatrix.State;

public sealed partial class StateStore
{
    /// <summary>Appends a journal record before (status "started") and after (final status) every step.</summary>
    public long Journal(string actor, string? lane, string? env, string action, string? step, string status, string? detail)
    {
        using var command = Command(
            "INSERT INTO journal (at, actor, lane, env, action, step, status, detail) VALUES ($t, $a, $l, $e, $act, $s, $st, $d) RETURNING id",
            ("$t", Now), ("$a", actor), ("$l", lane), ("$e", env), ("$act", action), ("$s", step), ("$st", status), ("$d", detail));
        return (long)command.ExecuteScalar()!;
    }

    public IReadOnlyList<JournalRecord> JournalEntries(int limit = 100) =>
        Query("SELECT id, at, actor, lane, env, action, step, status, detail FROM journal ORDER BY id DESC LIMIT $n",
            r => new JournalRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), NullableString(r, 3), NullableString(r, 4), r.GetString(5), NullableString(r, 6), r.GetString(7), NullableString(r, 8)),
            ("$n", limit));
}
