using DeployMatrix.Engine.Recording;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;
using Microsoft.Data.Sqlite;

namespace DeployMatrix.Engine.Tests.Audit;

/// <summary>The audit chain on a real SQLite store: any edited byte of a record or a receipt is found.</summary>
public sealed class AuditLogTests : IDisposable
{
    private static readonly string[] Columns = ["at", "actor", "action", "lane", "env", "inputs", "result", "receipt", "receipt_hash", "prev_hash", "hash"];
    private readonly TempDir _dir = new();
    private readonly StateStore _state;
    private readonly AuditLog _log;

    public AuditLogTests()
    {
        _state = StateStore.Open(Path.Combine(_dir.Path, "state.db"), TimeProvider.System);
        _log = new AuditLog(_state);
        for (var i = 1; i <= 3; i++)
        {
            var receipt = _dir.Write($"receipts/r{i}.json", $"{{\"n\":{i}}}\n");
            _log.Append("alice", "deploy", "runtime", "staging", new Dictionary<string, string?> { ["tag"] = $"t{i}" }, "succeeded", receipt);
        }
    }

    [Fact]
    public void UntouchedChain_Verifies()
    {
        Assert.Null(_log.Verify());
        Assert.Equal(StateStore.AuditGenesis, _state.AuditRecords()[0].PrevHash);
        Assert.Equal(_state.AuditRecords()[0].Hash, _state.AuditRecords()[1].PrevHash);
    }

    [Theory]
    [MemberData(nameof(ColumnData))]
    public void EditingAnyByteOfARecord_IsFound_AtThatRecord(string column)
    {
        Sql($"UPDATE audit SET {column} = {column} || 'x' WHERE id = 2");

        var problem = _log.Verify();

        Assert.NotNull(problem);
        Assert.Equal(2, problem.RecordId);
        Assert.Equal(
            column == "prev_hash" ? "its link to the previous record does not match (a record before it was removed or changed)"
                : "its content does not match its hash (the record was edited)",
            problem.Reason);
    }

    [Fact]
    public void EditingAReceipt_IsFound_AtTheRecordThatNamesIt()
    {
        File.AppendAllText(Path.Combine(_dir.Path, "receipts", "r3.json"), " ");

        var problem = _log.Verify();

        Assert.Equal(3, problem!.RecordId);
        Assert.Equal($"its receipt {Path.Combine(_dir.Path, "receipts", "r3.json")} was changed after it was recorded", problem.Reason);
    }

    [Fact]
    public void ARemovedReceipt_IsFound_AtTheRecordThatNamesIt()
    {
        File.Delete(Path.Combine(_dir.Path, "receipts", "r2.json"));

        var problem = _log.Verify();

        Assert.Equal((2L, $"its receipt {Path.Combine(_dir.Path, "receipts", "r2.json")} is missing"), (problem!.RecordId, problem.Reason));
    }

    [Fact]
    public void AReceiptNotWritten_IsRecordedWithNoHash_AndTheChainStillVerifiesWithoutIt()
    {
        var record = _log.Append("alice", "deploy", "runtime", "staging", new Dictionary<string, string?>(), "failed", Path.Combine(_dir.Path, "receipts", "never.json"));
        var none = _log.Append("alice", "gate-override", null, null, new Dictionary<string, string?>(), "recorded", null);

        Assert.Null(record.ReceiptHash);
        Assert.Null(none.ReceiptHash);
        Assert.Equal((4L, $"its receipt {Path.Combine(_dir.Path, "receipts", "never.json")} is missing"), (_log.Verify()!.RecordId, _log.Verify()!.Reason));
    }

    [Fact]
    public void AnAbsentFieldAndAnEmptyOne_HashApart_AsDoTextsShiftedBetweenFields()
    {
        var record = _state.AuditRecords()[0];

        Assert.NotEqual(AuditLog.HashOf(record with { Lane = null }), AuditLog.HashOf(record with { Lane = "" }));
        Assert.NotEqual(AuditLog.HashOf(record with { Lane = "ab", Env = "c" }), AuditLog.HashOf(record with { Lane = "a", Env = "bc" }));
        Assert.Equal(64, AuditLog.HashOf(record).Length);
        Assert.Equal(AuditLog.HashOf(record), AuditLog.HashOf(record with { Hash = "anything" }));
    }

    [Fact]
    public void RemovingARecord_BreaksTheNextLink()
    {
        Sql("DELETE FROM audit WHERE id = 2");

        Assert.Equal((3L, "its link to the previous record does not match (a record before it was removed or changed)"), (_log.Verify()!.RecordId, _log.Verify()!.Reason));
    }

    [Fact]
    public void RewritingARecordAndItsHash_StillBreaksTheNextLink()
    {
        var second = _state.AuditRecords()[1];
        var forged = second with { Result = "failed" };
        Sql($"UPDATE audit SET result = 'failed', hash = '{AuditLog.HashOf(forged)}' WHERE id = 2");

        Assert.Equal(3, _log.Verify()!.RecordId);
    }

    public static TheoryData<string> ColumnData() => [.. Columns];

    private void Sql(string sql)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, "state.db")};Pooling=false");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _state.Dispose();
        _dir.Dispose();
    }
}
