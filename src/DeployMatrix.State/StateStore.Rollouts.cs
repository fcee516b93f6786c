using System.Globalization;

namespace DeployMatrix.State;

/// <summary>A person's request left for the process driving a rollout (its name as the engine writes it).</summary>
public sealed record RolloutControlRow(string Control, string Actor, string? Reason);

/// <summary>
/// One rollout as stored: enough to resume it in another process (the stages and window it started
/// with, the stage it stood at) and to tell who drives it (<see cref="OwnerPid"/>). What the status
/// words mean is the engine's business.
/// </summary>
public sealed record RolloutRecord(long Id, string Lane, string Env, string Stable, string Canary, string Status, int Stage, string? Reason,
    string StartedAt, string UpdatedAt, IReadOnlyList<int> Stages, int StageIndex, long WindowMs, int? OwnerPid);

public sealed partial class StateStore
{
    private const string RolloutColumns = "id, lane, env, stable, canary, status, stage, reason, started_at, updated_at, stages, stage_index, window_ms, owner_pid";

    /// <summary>Records a new rollout driven by the store's owner, with status <paramref name="status"/> at its first stage.</summary>
    public long StartRollout(string lane, string env, string stable, string canary, IReadOnlyList<int> stages, TimeSpan window, string status) =>
        Scalar<long>(
            "INSERT INTO rollouts (lane, env, stable, canary, status, stage, started_at, updated_at, stages, stage_index, window_ms, owner_pid) " +
            "VALUES (@l, @e, @s, @c, @status, @st, @t, @t, @stages, 0, @w, @pid) RETURNING id",
            ("@l", lane), ("@e", env), ("@s", stable), ("@c", canary), ("@status", status), ("@st", stages[0]), ("@t", Now),
            ("@stages", string.Join(',', stages.Select(s => s.ToString(CultureInfo.InvariantCulture)))), ("@w", (long)window.TotalMilliseconds), ("@pid", Owner.Pid));

    /// <summary>Records progress; with <paramref name="driven"/> false the rollout has no owner any more (it stopped or ended).</summary>
    public void UpdateRollout(long id, string status, int stageIndex, int stage, string? reason, bool driven) =>
        Execute("UPDATE rollouts SET status = @s, stage_index = @i, stage = @st, reason = @r, updated_at = @t, " +
                "owner_pid = CASE WHEN @driven THEN owner_pid ELSE NULL END WHERE id = @id",
            ("@id", id), ("@s", status), ("@i", stageIndex), ("@st", stage), ("@r", reason), ("@t", Now), ("@driven", driven));

    /// <summary>
    /// Makes the store's owner the rollout's driver, setting <paramref name="status"/>, when <paramref name="mayClaim"/>
    /// agrees with the row as it is inside the transaction (so two processes cannot both take it over).
    /// </summary>
    public bool ClaimRollout(long id, string status, Func<RolloutRecord, bool> mayClaim) => Write(() =>
    {
        if (Rollout(id) is not { } record || !mayClaim(record))
        {
            return false;
        }

        Execute("UPDATE rollouts SET status = @s, owner_pid = @pid, control = NULL, control_reason = NULL, control_actor = NULL, updated_at = @t WHERE id = @id",
            ("@id", id), ("@s", status), ("@pid", Owner.Pid), ("@t", Now));
        return true;
    });

    /// <summary>Leaves a request for the process driving the rollout.</summary>
    public void RequestRolloutControl(long id, string control, string actor, string? reason) =>
        Execute("UPDATE rollouts SET control = @c, control_actor = @a, control_reason = @r WHERE id = @id",
            ("@id", id), ("@c", control), ("@a", actor), ("@r", reason));

    /// <summary>The pending request for this rollout, if any, cleared as it is taken.</summary>
    public RolloutControlRow? TakeRolloutControl(long id) => Write(() =>
    {
        var request = Query("SELECT control, control_actor, control_reason FROM rollouts WHERE id = @id AND control IS NOT NULL",
            r => new RolloutControlRow(r.GetString(0), r.GetString(1), NullableString(r, 2)), ("@id", id)).FirstOrDefault();
        if (request is not null)
        {
            Execute("UPDATE rollouts SET control = NULL, control_actor = NULL, control_reason = NULL WHERE id = @id", ("@id", id));
        }

        return request;
    });

    public RolloutRecord? Rollout(long id) =>
        Query($"SELECT {RolloutColumns} FROM rollouts WHERE id = @id", ReadRollout, ("@id", id)).FirstOrDefault();

    public RolloutRecord? LatestRollout(string lane, string env) =>
        Query($"SELECT {RolloutColumns} FROM rollouts WHERE lane = @l AND env = @e ORDER BY id DESC LIMIT 1", ReadRollout, ("@l", lane), ("@e", env)).FirstOrDefault();

    private static RolloutRecord ReadRollout(System.Data.Common.DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt32(6), NullableString(r, 7),
            r.GetString(8), r.GetString(9), [.. r.GetString(10).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))], r.GetInt32(11), r.GetInt64(12),
            NullableInt(r, 13));
}
