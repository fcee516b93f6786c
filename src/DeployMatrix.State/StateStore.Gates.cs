namespace DeployMatrix.State;

/// <summary>One gate run: its verdict, evidence folder, and <see cref="Voided"/> (why, when a re-tag voided it).</summary>
public sealed record GateRecord(long Id, string At, string From, string To, string Tag, bool Go, string Evidence, string? Voided = null);

/// <summary>What a gate run checked for one lane: the revision serving the 'from' environment and its content.</summary>
public sealed record GateRelease(string Lane, string Env, string? Revision, string? Digest, string? Image);

public sealed partial class StateStore
{
    /// <summary>Records a verdict with the releases it was given for, in one transaction.</summary>
    public long RecordGate(string from, string to, string tag, bool go, string evidence, IReadOnlyList<GateRelease>? releases = null) => Write(() =>
    {
        var id = Scalar<long>(
            "INSERT INTO gates (at, from_env, to_env, tag, go, evidence) VALUES (@t, @f, @to, @tag, @go, @e) RETURNING id",
            ("@t", Now), ("@f", from), ("@to", to), ("@tag", tag), ("@go", go ? 1 : 0), ("@e", evidence));
        foreach (var r in releases ?? [])
        {
            Execute("INSERT INTO gate_releases (gate_id, lane, env, revision, digest, image) VALUES (@g, @l, @e, @r, @d, @i)",
                ("@g", id), ("@l", r.Lane), ("@e", r.Env), ("@r", r.Revision), ("@d", r.Digest), ("@i", r.Image));
        }

        return id;
    });

    /// <summary>The most recent gate run for a tag between two environments; only its verdict counts.</summary>
    public GateRecord? LatestGate(string from, string to, string tag) =>
        Query("SELECT id, at, from_env, to_env, tag, go, evidence, voided FROM gates WHERE from_env = @f AND to_env = @to AND tag = @tag ORDER BY id DESC LIMIT 1",
            r => new GateRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5) == 1, r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7)),
            ("@f", from), ("@to", to), ("@tag", tag)).FirstOrDefault();

    /// <summary>What a gate run checked, per lane.</summary>
    public IReadOnlyList<GateRelease> GateReleases(long gateId) =>
        Query("SELECT lane, env, revision, digest, image FROM gate_releases WHERE gate_id = @g ORDER BY lane",
            r => new GateRelease(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4)),
            ("@g", gateId));
}

public sealed partial class StateStore
{
    /// <summary>
    /// The latest gate run of every tag between every pair of environments, newest first: the verdicts that count
    /// (<see cref="LatestGate"/> for each), as the dashboard lists them.
    /// </summary>
    public IReadOnlyList<GateRecord> LatestGates() =>
        Query("SELECT id, at, from_env, to_env, tag, go, evidence, voided FROM gates WHERE id IN (SELECT MAX(id) FROM gates GROUP BY from_env, to_env, tag) ORDER BY id DESC",
            ReadGate);

    /// <summary>Every gate run, newest first.</summary>
    public IReadOnlyList<GateRecord> Gates() =>
        Query("SELECT id, at, from_env, to_env, tag, go, evidence, voided FROM gates ORDER BY id DESC", ReadGate);

    /// <summary>One gate run by its id, or null.</summary>
    public GateRecord? GateById(long id) =>
        Query("SELECT id, at, from_env, to_env, tag, go, evidence, voided FROM gates WHERE id = @id", ReadGate, ("@id", id)).FirstOrDefault();

    private static GateRecord ReadGate(System.Data.Common.DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5) == 1, r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7));
}
