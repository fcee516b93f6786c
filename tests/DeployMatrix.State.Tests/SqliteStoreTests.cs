using DeployMatrix.Tests.Support;
using Microsoft.Data.Sqlite;

namespace DeployMatrix.State.Tests;

/// <summary>The store's contract on a real SQLite file, the default: one machine, its processes told apart by pid.</summary>
public sealed class SqliteStoreTests : StoreContract
{
    private readonly TempDir _dir = new();
    private readonly HashSet<int> _dead = [];
    private int _nextPid = 1000;

    private string Db => Path.Combine(_dir.Path, "nested", "state.db");

    protected override StateLocation Location => StateLocation.Sqlite(Db);

    protected override void Sql(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Db};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    protected override StateStore OpenProcess()
    {
        var pid = Interlocked.Increment(ref _nextPid);
        return Open(new StoreOwner(pid, p =>
        {
            lock (_dead)
            {
                return !_dead.Contains(p);
            }
        }));
    }

    protected override void Kill(StateStore store)
    {
        lock (_dead)
        {
            _dead.Add(store.Owner.Pid);
        }
    }

    [Fact]
    public void Opening_CreatesTheFolder_AndActsForThisProcess()
    {
        var store = Open();

        Assert.True(File.Exists(Db));
        Assert.Equal(StoreOwner.ThisProcess, store.Owner);
        Assert.False(store.Shared);
        Assert.Equal(Db, store.Location);
    }

    [Fact]
    public void TheFile_IsSharedByConnections_InWalMode()
    {
        Open();
        using var connection = new SqliteConnection($"Data Source={Db};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";

        Assert.Equal("wal", command.ExecuteScalar());
    }

    public override void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
