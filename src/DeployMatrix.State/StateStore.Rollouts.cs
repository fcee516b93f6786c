using System.Globalization;

namespace DeployMatrix.State;

public static class RolloutStatus
{
    public const string Running = "running";
    public const string Paused = "paused";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Aborted = "aborted";

    /// <summary>Stopped by an error (the platform went away); traffic may still be split.</summary>
    public const string Held = "held";

    public static bool IsFinished(string status) => status is Succeeded or Failed or Aborted;
}

/// <summary>What a person asked a running rollout to do; the process driving it acts on it.</summary>
public static class RolloutControl
{
    public const string Pause = "pause";
    public const string Abort = "abort";
    public const string Promote = "promote";
}

public sealed record RolloutControlRequest(string Control, string Actor, string? Reason);

/// <summary>
/// One rollout as journaled: enough to resume it in another process (the stages and window it started
/// with, the stage it stood at) and to tell who drives it (<see cref="OwnerPid"/>).
/// </summary>
public sealed record RolloutRecord(long Id, string Lane, string Env, string Stable, string Canary, string Status, int Stage, string? Reason,
    string StartedAt, string UpdatedAt, IReadOnlyList<int> Stages, int StageIndex, long WindowMs, int? OwnerPid)
{
    /// <summary>Running by the record, but the process that drove it is gone (killed, crashed).</summary>
    public bool Interrupted => Status == RolloutStatus.Running && (OwnerPid is not { } pid || !StateStore.IsAlive(pid));

    public bool DrivenElsewhere => Status == RolloutStatus.Running && OwnerPid is { } pid && pid != Environment.ProcessId && StateStore.IsAlive(pid);

    /// <summary>The status as people should read it.</summary>
    public string Shown => Interrupted ? "interrupted" : Status;
}

public sealed partial class StateStore
{
    private const string RolloutColumns = "id, lane, env, stable, canary, status, stage, reason, started_at, updated_at, stages, stage_index, window_ms, owner_pid";

    public long StartRollout(string lane, string env, string stable, string canary, IReadOnlyList<int> stages, TimeSpan window)
    {
        using var command = Command(
            "INSERT INTO rollouts (lane, env, stable, canary, status, stage, started_at, updated_at, stages, stage_index, window_ms, owner_pid) " +
            "VALUES ($l, $e, $s, $c, 'running', $st, $t, $t, $stages, 0, $w, $pid) RETURNING id",
            ("$l", lane), ("$e", env), ("$s", stable), ("$c", canary), ("$st", stages[0]), ("$t", Now),
            ("$stages", string.Join(',', stages.Select(s => s.ToString(CultureInfo.InvariantCulture)))), ("$w", (long)window.TotalMilliseconds), ("$pid", Environment.ProcessId));
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Records progress; a rollout that is no longer running has no owner.</summary>
    public void UpdateRollout(long id, string status, int stageIndex, int stage, string? reason) =>
        Execute("UPDATE rollouts SET status = $s, stage_index = $i, stage = $st, reason = $r, updated_at = $t, " +
                "owner_pid = CASE WHEN $s = 'running' THEN owner_pid ELSE NULL END WHERE id = $id",
            ("$id", id), ("$s", status), ("$i", stageIndex), ("$st", stage), ("$r", reason), ("$t", Now));

    /// <summary>Makes this process the rollout's driver, unless a live process already drives it.</summary>
    public bool ClaimRollout(long id) => Write(() =>
    {
        var record = Rollout(id);
        if (record is null || RolloutStatus.IsFinished(record.Status) || record.DrivenElsewhere)
        {
            return false;
        }

        Execute("UPDATE rollouts SET status = 'running', owner_pid = $pid, control = NULL, control_reason = NULL, control_actor = NULL, updated_at = $t WHERE id = $id",
            ("$id", id), ("$pid", Environment.ProcessId), ("$t", Now));
        return true;
    });

    /// <summary>Leaves a request for the process driving the rollout.</summary>
    public void RequestRolloutControl(long id, string control, string actor, string? reason) =>
        Execute("UPDATE rollouts SET control = $c, control_actor = $a, control_reason = $r WHERE id = $id",
            ("$id", id), ("$c", control), ("$a", actor), ("$r", reason));

    /// <summary>The pending request for this rollout, if any, cleared as it is taken.</summary>
    public RolloutControlRequest? TakeRolloutControl(long id) => Write(() =>
    {
        var request = Query("SELECT control, control_actor, control_reason FROM rollouts WHERE id = $id AND control IS NOT NULL",
            r => new RolloutControlRequest(r.GetString(0), r.GetString(1), NullableString(r, 2)), ("$id", id)).FirstOrDefault();
        if (request is not null)
        {
            Execute("UPDATE rollouts SET control = NULL, control_actor = NULL, control_reason = NULL WHERE id = $id", ("$id", id));
        }

        return request;
    });

    public RolloutRecord? Rollout(long id) =>
        Query($"SELECT {RolloutColumns} FROM rollouts WHERE id = $id", ReadRollout, ("$id", id)).FirstOrDefault();

    public RolloutRecord? LatestRollout(string lane, string env) =>
        Query($"SELECT {RolloutColumns} FROM rollouts WHERE lane = $l AND env = $e ORDER BY id DESC LIMIT 1", ReadRollout, ("$l", lane), ("$e", env)).FirstOrDefault();

    private static RolloutRecord ReadRollout(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt32(6), NullableString(r, 7),
            r.GetString(8), r.GetString(9), [.. r.GetString(10).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))], r.GetInt32(11), r.GetInt64(12),
            NullableInt(r, 13));
}
