namespace DeployMatrix.State;

public static class RolloutStatus
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Held = "held";
}

public sealed record RolloutRecord(long Id, string Lane, string Env, string Stable, string Canary, string Status, int Stage, string? Reason, string StartedAt, string UpdatedAt);

public sealed partial class StateStore
{
    public long StartRollout(string lane, string env, string stable, string canary)
    {
        using var command = Command(
            "INSERT INTO rollouts (lane, env, stable, canary, status, stage, started_at, updated_at) VALUES ($l, $e, $s, $c, 'running', 0, $t, $t) RETURNING id",
            ("$l", lane), ("$e", env), ("$s", stable), ("$c", canary), ("$t", Now));
        return (long)command.ExecuteScalar()!;
    }

    public void UpdateRollout(long id, string status, int stage, string? reason) =>
        Execute("UPDATE rollouts SET status = $s, stage = $st, reason = $r, updated_at = $t WHERE id = $id",
            ("$id", id), ("$s", status), ("$st", stage), ("$r", reason), ("$t", Now));

    public RolloutRecord? LatestRollout(string lane, string env) =>
        Query("SELECT id, lane, env, stable, canary, status, stage, reason, started_at, updated_at FROM rollouts WHERE lane = $l AND env = $e ORDER BY id DESC LIMIT 1",
            r => new RolloutRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt32(6), NullableString(r, 7), r.GetString(8), r.GetString(9)),
            ("$l", lane), ("$e", env)).FirstOrDefault();
}
