using DeployMatrix.State.Backends;

namespace DeployMatrix.State;

public sealed partial class StateStore
{
    /// <summary>Whether a shared store's session still has its connection (PostgreSQL holds its advisory lock until the connection ends).</summary>
    internal bool SessionAlive(int session) =>
        Scalar<bool>("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = @k AND objid::bigint = @s AND objsubid = 2 AND granted)",
            ("@k", (long)PostgresBackend.LockSpace), ("@s", (long)session));

    /// <summary>A shared store's session as people read it: <c>user@host pid N</c>.</summary>
    internal string DescribeSession(int session) =>
        Query("SELECT who, host, pid FROM sessions WHERE id = @s", r => $"{r.GetString(0)}@{r.GetString(1)} pid {r.GetInt32(2)}", ("@s", (long)session)).FirstOrDefault()
        ?? $"session {session}";
}
