namespace DeployMatrix.State;

public sealed record GateRecord(long Id, string At, string From, string To, string Tag, bool Go, string Evidence);

public sealed partial class StateStore
{
    public long RecordGate(string from, string to, string tag, bool go, string evidence)
    {
        return Scalar<long>(
            "INSERT INTO gates (at, from_env, to_env, tag, go, evidence) VALUES ($t, $f, $to, $tag, $go, $e) RETURNING id",
            ("$t", Now), ("$f", from), ("$to", to), ("$tag", tag), ("$go", go ? 1 : 0), ("$e", evidence));
    }

    /// <summary>The most recent gate run for a tag between two environments; only its verdict counts.</summary>
    public GateRecord? LatestGate(string from, string to, string tag) =>
        Query("SELECT id, at, from_env, to_env, tag, go, evidence FROM gates WHERE from_env = $f AND to_env = $to AND tag = $tag ORDER BY id DESC LIMIT 1",
            r => new GateRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5) == 1, r.GetString(6)),
            ("$f", from), ("$to", to), ("$tag", tag)).FirstOrDefault();
}
