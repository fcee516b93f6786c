namespace DeployMatrix.State;

/// <summary>One audit record as stored; <see cref="Hash"/> chains it to the record before it.</summary>
public sealed record AuditRecord(
    long Id, string At, string Actor, string Action, string? Lane, string? Env, string Inputs, string Result,
    string? Receipt, string? ReceiptHash, string PrevHash, string Hash);

public sealed partial class StateStore
{
    /// <summary>Appends a record whose hash is computed by <paramref name="seal"/> from the previous record's hash, in one write transaction.</summary>
    public AuditRecord AppendAudit(Func<string, string, AuditRecord> seal) => Write(() =>
    {
        var prev = Query("SELECT hash FROM audit ORDER BY id DESC LIMIT 1", r => r.GetString(0)).FirstOrDefault() ?? AuditGenesis;
        var record = seal(prev, Now);
        var id = Scalar<long>(
            """
            INSERT INTO audit (at, actor, action, lane, env, inputs, result, receipt, receipt_hash, prev_hash, hash)
            VALUES (@at, @actor, @action, @lane, @env, @inputs, @result, @receipt, @rh, @prev, @hash) RETURNING id
            """,
            ("@at", record.At), ("@actor", record.Actor), ("@action", record.Action), ("@lane", record.Lane), ("@env", record.Env),
            ("@inputs", record.Inputs), ("@result", record.Result), ("@receipt", record.Receipt), ("@rh", record.ReceiptHash),
            ("@prev", record.PrevHash), ("@hash", record.Hash));
        return record with { Id = id };
    });

    /// <summary>The hash the first record chains to.</summary>
    public const string AuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public IReadOnlyList<AuditRecord> AuditRecords() =>
        Query("SELECT id, at, actor, action, lane, env, inputs, result, receipt, receipt_hash, prev_hash, hash FROM audit ORDER BY id",
            r => new AuditRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), NullableString(r, 4), NullableString(r, 5),
                r.GetString(6), r.GetString(7), NullableString(r, 8), NullableString(r, 9), r.GetString(10), r.GetString(11)));

    /// <summary>The records of one action about one lane (a lane's rehearsals), oldest first.</summary>
    public IReadOnlyList<AuditRecord> AuditRecords(string action, string lane) =>
        Query("SELECT id, at, actor, action, lane, env, inputs, result, receipt, receipt_hash, prev_hash, hash FROM audit WHERE action = @a AND lane = @l ORDER BY id",
            r => new AuditRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), NullableString(r, 4), NullableString(r, 5),
                r.GetString(6), r.GetString(7), NullableString(r, 8), NullableString(r, 9), r.GetString(10), r.GetString(11)),
            ("@a", action), ("@l", lane));
}
