using System.Diagnostics;

namespace DeployMatrix.State;

public sealed partial class StateStore
{
    /// <summary>
    /// Takes the lock of a scope (a lane in an environment) for the store's owner. A lock whose holder
    /// process (on PostgreSQL: session) is gone is taken over. Returns null on success, else who holds it:
    /// the holder's words, its owner (<c>pid N</c>; shared: <c>user@host pid N</c>) and since when.
    /// </summary>
    public string? TryLock(string scope, string holder) => Write(() =>
    {
        var current = Query("SELECT holder, pid, acquired_at FROM locks WHERE scope = @s", r => (Holder: r.GetString(0), Pid: r.GetInt32(1), At: r.GetString(2)), ("@s", scope)).FirstOrDefault();
        if (current.Holder is not null && current.Pid != Owner.Pid && Owner.IsAlive(current.Pid))
        {
            return $"{current.Holder} ({Owner.Describe(current.Pid)}) since {current.At}";
        }

        Execute("INSERT INTO locks (scope, holder, pid, acquired_at) VALUES (@s, @h, @p, @t) ON CONFLICT (scope) DO UPDATE SET holder = @h, pid = @p, acquired_at = @t",
            ("@s", scope), ("@h", holder), ("@p", Owner.Pid), ("@t", Now));
        return (string?)null;
    });

    public void Unlock(string scope) => Execute("DELETE FROM locks WHERE scope = @s AND pid = @p", ("@s", scope), ("@p", Owner.Pid));

    /// <summary>Whether a process with this id still runs on this machine (a lock or rollout owner that died left it behind).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
