using Microsoft.Data.Sqlite;

namespace DeployMatrix.State;

/// <summary>
/// The state of a matrix's releases: the local platform's desired state (revisions, traffic, jobs), and
/// for both platforms the journal, audit chain, gates, rollouts, stable revisions and maintenance, in one
/// SQLite file (<c>.deploymatrix/state.db</c>). Several processes (CLIs and the agent) share it: WAL
/// mode and a busy timeout make them wait for each other instead of failing. Thread-safe.
/// </summary>
public sealed partial class StateStore : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;

    // One connection serves the whole process; threads (parallel gate checks, a rollout's control poll)
    // take turns on it. The lock is re-entrant, so a write transaction may call other methods.
    private readonly Lock _sync = new();
    private int _depth;

    private StateStore(SqliteConnection connection, TimeProvider time, StoreOwner owner)
    {
        _connection = connection;
        _time = time;
        Owner = owner;
    }

    /// <summary>Who this store acts for: the process that takes locks, drives rollouts and journals operations.</summary>
    public StoreOwner Owner { get; }

    /// <param name="owner">The owning process (default: this one); tests pass another to act as a second process.</param>
    public static StateStore Open(string path, TimeProvider time, StoreOwner? owner = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        Exec(connection, "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
        SchemaMigrations.Apply(connection);
        return new StateStore(connection, time, owner ?? StoreOwner.ThisProcess);
    }

    public int SchemaVersion
    {
        get
        {
            lock (_sync)
            {
                return SchemaMigrations.CurrentVersion(_connection);
            }
        }
    }

    private string Now => _time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction taken up front (BEGIN IMMEDIATE), so
    /// read-modify-write cannot interleave across processes. Called inside another, it joins that one:
    /// everything commits together or not at all.
    /// </summary>
    public T Write<T>(Func<T> work)
    {
        lock (_sync)
        {
            if (_depth > 0)
            {
                _depth++;
                try
                {
                    return work();
                }
                finally
                {
                    _depth--;
                }
            }

            Exec(_connection, "BEGIN IMMEDIATE");
            _depth = 1;
            try
            {
                var result = work();
                Exec(_connection, "COMMIT");
                return result;
            }
            catch
            {
                Exec(_connection, "ROLLBACK");
                throw;
            }
            finally
            {
                _depth = 0;
            }
        }
    }

    /// <summary>A write transaction with nothing to return.</summary>
    public void Write(Action work) => Write(() =>
    {
        work();
        return 0;
    });

    public void Dispose()
    {
        lock (_sync)
        {
            _connection.Dispose();
        }
    }

    internal SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    internal int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        lock (_sync)
        {
            using var command = Command(sql, parameters);
            return command.ExecuteNonQuery();
        }
    }

    internal T Scalar<T>(string sql, params (string Name, object? Value)[] parameters)
    {
        lock (_sync)
        {
            using var command = Command(sql, parameters);
            return (T)command.ExecuteScalar()!;
        }
    }

    internal List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] parameters)
    {
        lock (_sync)
        {
            using var command = Command(sql, parameters);
            using var reader = command.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read())
            {
                rows.Add(map(reader));
            }

            return rows;
        }
    }

    internal static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    internal static int? NullableInt(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
}

/// <summary>
/// The process a store acts for (<see cref="Pid"/>) and how it tells whether another recorded process still
/// runs on this machine: a lock or a rollout whose owner is gone may be taken over.
/// </summary>
public sealed record StoreOwner(int Pid, Func<int, bool> IsAlive)
{
    public static readonly StoreOwner ThisProcess = new(Environment.ProcessId, StateStore.IsAlive);
}
