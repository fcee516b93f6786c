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
    }

    [Fact]
    public void EditingAReceipt_IsFound_AtTheRecordThatNamesIt()
    {
        File.AppendAllText(Path.Combine(_dir.Path, "receipts", "r3.json"), " ");

        var problem = _log.Verify();

        Assert.Equal(3, problem!.RecordId);
        Assert.Contains("receipt", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RemovingARecord_BreaksTheNextLink()
    {
        Sql("DELETE FROM audit WHERE id = 2");

        Assert.Equal(3, _log.Verify()!.RecordId);
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
