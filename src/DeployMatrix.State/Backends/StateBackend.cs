using System.Data.Common;

namespace DeployMatrix.State.Backends;

/// <summary>
/// The port the state store runs on: one open connection and what differs between the databases —
/// how a write is serialised, the schema's column types, and who owns a lock or a rollout. The store's
/// queries are the same on every backend.
/// </summary>
internal abstract class StateBackend : IDisposable
{
    public abstract DbConnection Connection { get; }

    /// <summary>Where the state lives, without secrets.</summary>
    public abstract string Location { get; }

    public abstract bool Shared { get; }

    /// <summary>Starts a write transaction that no other writer, in any process or on any machine, runs beside.</summary>
    public abstract string BeginWrite { get; }

    /// <summary>
    /// A migration step in this database's words: <c>{id}</c> is an ascending 64-bit key, <c>{bigint}</c>
    /// a 64-bit integer column.
    /// </summary>
    public abstract string Ddl(string step);

    /// <summary>Called once the schema is current (PostgreSQL registers the store's session here).</summary>
    public virtual void Started(TimeProvider time)
    {
    }

    /// <summary>The owner a store acts for unless told otherwise.</summary>
    public abstract StoreOwner Owner(StateStore store);

    /// <summary>A failure to open or migrate, as one line without secrets.</summary>
    public abstract string Explain(Exception e);

    public void Dispose() => Connection.Dispose();

    /// <exception cref="StateStoreException">The database cannot be opened (the message says why, without secrets).</exception>
    public static StateBackend Connect(StateLocation location) =>
        location.SqlitePath is { } path ? SqliteBackend.Open(path) : PostgresBackend.Open(location);
}
