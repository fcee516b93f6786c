using System.Data.Common;
using DeployMatrix.State.Backends;

namespace DeployMatrix.State;

/// <summary>
/// The state of a matrix's releases: the local platform's desired state (revisions, traffic, jobs), and
/// for both platforms the journal, audit chain, gates, rollouts, stable revisions, maintenance and
/// receipts. It lives in one database behind a <see cref="StateBackend"/>: a SQLite file
/// (<c>.deploymatrix/state.db</c>, one machine) or a PostgreSQL database a team shares. Several
/// processes (CLIs and agents, on one machine or many) share it; writes are serialised. Thread-safe.
/// </summary>
public sealed partial class StateStore : IDisposable
{
    private readonly StateBackend _backend;
    private readonly DbConnection _connection;
    private readonly TimeProvider _time;

    // One connection serves the whole process; threads (parallel gate checks, a rollout's control poll)
    // take turns on it. The lock is re-entrant, so a write transaction may call other methods.
    private readonly Lock _sync = new();
    private int _depth;

    private StateStore(StateBackend backend, TimeProvider time, StoreOwner? owner)
    {
        _backend = backend;
        _connection = backend.Connection;
        _time = time;
        Owner = owner ?? backend.Owner(this);
    }

    /// <summary>Who this store acts for: the process that takes locks, drives rollouts and journals operations.</summary>
    public StoreOwner Owner { get; }

    /// <summary>Where the state lives, said without secrets (a SQLite file's path, or <c>postgresql://USER@HOST:PORT/DB</c>).</summary>
    public string Location => _backend.Location;

    /// <summary>Whether the state is shared by several machines (PostgreSQL) rather than kept by this one (SQLite).</summary>
    public bool Shared => _backend.Shared;

    /// <summary>Opens (creating it and its folder when missing) the SQLite state file at <paramref name="path"/>.</summary>
    /// <param name="owner">The owning process (default: this one); tests pass another to act as a second process.</param>
    /// <exception cref="StateStoreException">The file's schema is newer than this build knows.</exception>
    public static StateStore Open(string path, TimeProvider time, StoreOwner? owner = null) => Open(StateLocation.Sqlite(path), time, owner);

    /// <summary>
    /// Opens the state where <paramref name="location"/> says, bringing its schema up to this build's
    /// version (the same migrations on both backends).
    /// </summary>
    /// <param name="owner">The owning process; by default this process on SQLite, this connection's session on PostgreSQL.</param>
    /// <exception cref="StateStoreException">The database cannot be reached or refused the login (message without the password), or its schema is newer than this build knows.</exception>
    public static StateStore Open(StateLocation location, TimeProvider time, StoreOwner? owner = null)
    {
        var backend = StateBackend.Connect(location);
        try
        {
            SchemaMigrations.Apply(backend);
            backend.Started(time);
            return new StateStore(backend, time, owner);
        }
        catch (Exception e) when (e is DbException or IOException or TimeoutException)
        {
            backend.Dispose();
            throw new StateStoreException(backend.Explain(e));
        }
        catch
        {
            backend.Dispose();
            throw;
        }
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

            Exec(_connection, _backend.BeginWrite);
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
            _backend.Dispose();
        }
    }

    internal DbCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
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

    internal List<T> Query<T>(string sql, Func<DbDataReader, T> map, params (string Name, object? Value)[] parameters)
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

    internal static void Exec(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    internal static int? NullableInt(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
}

/// <summary>
/// Who a store acts for (<see cref="Pid"/>) and how it tells whether another recorded owner is still there:
/// a lock or a rollout whose owner is gone may be taken over. On SQLite an owner is a process on this
/// machine; on PostgreSQL it is a store's session (its row in <c>sessions</c>), alive while its connection is.
/// </summary>
public sealed record StoreOwner(int Pid, Func<int, bool> IsAlive)
{
    public static readonly StoreOwner ThisProcess = new(Environment.ProcessId, StateStore.IsAlive);

    /// <summary>How an owner is named to people; by default <c>pid N</c>.</summary>
    public Func<int, string>? Describer { get; init; }

    /// <summary>An owner as people read it: <c>pid 4242</c> on one machine, <c>alice@build-7 pid 4242</c> when shared.</summary>
    public string Describe(int pid) => Describer?.Invoke(pid) ?? $"pid {pid}";
}

/// <summary>The state cannot be used: unreachable, a refused login, or a schema newer than this build. The message is one line, without secrets.</summary>
public sealed class StateStoreException(string message) : Exception(message);
