using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace DeployMatrix.State.Backends;

/// <summary>
/// One SQLite file on this machine. WAL mode and a busy timeout make its processes (CLIs and the agent)
/// wait for each other instead of failing; BEGIN IMMEDIATE takes the file's one write lock up front.
/// </summary>
internal sealed class SqliteBackend : StateBackend
{
    private readonly SqliteConnection _connection;

    private SqliteBackend(SqliteConnection connection, string path)
    {
        _connection = connection;
        Location = path;
    }

    public override DbConnection Connection => _connection;

    public override string Location { get; }

    public override bool Shared => false;

    public override string BeginWrite => "BEGIN IMMEDIATE";

    public override string Ddl(string step) => step.Replace("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT", StringComparison.Ordinal).Replace("{bigint}", "INTEGER", StringComparison.Ordinal);

    public override StoreOwner Owner(StateStore store) => StoreOwner.ThisProcess;

    public override string Explain(Exception e) => $"cannot use the state file {Location}: {e.Message}";

    public static SqliteBackend Open(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        StateStore.Exec(connection, "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
        return new SqliteBackend(connection, path);
    }
}
