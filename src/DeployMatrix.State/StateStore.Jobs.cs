namespace DeployMatrix.State;

public sealed partial class StateStore
{
    public void PutJob(JobRecord job) => Execute(
        """
        INSERT INTO jobs (env, job, lane, service, image, digest, updated_at) VALUES (@e, @j, @l, @s, @i, @d, @t)
        ON CONFLICT (env, job) DO UPDATE SET image = @i, digest = @d, updated_at = @t
        """,
        ("@e", job.Env), ("@j", job.Job), ("@l", job.Lane), ("@s", job.Service), ("@i", job.Image), ("@d", job.Digest), ("@t", Now));

    public JobRecord? FindJob(string env, string job) =>
        Query("SELECT env, job, lane, service, image, digest FROM jobs WHERE env = @e AND job = @j",
            r => new JobRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5)), ("@e", env), ("@j", job)).FirstOrDefault();

    /// <summary>Starts an execution of a job unless one is running, in one transaction: one execution per job at a time.</summary>
    /// <param name="ownerPid">The process that owns it (the local agent); null for the caller.</param>
    /// <returns>The new execution's id, or the running execution that blocks it.</returns>
    public (long? Started, ExecutionRecord? Running) StartExecution(string env, string job, string image, string digest, Func<long, string> logPath, int? ownerPid = null) => Write<(long?, ExecutionRecord?)>(() =>
    {
        if (RunningExecution(env, job) is { } running)
        {
            return (null, running);
        }

        var id = Scalar<long>(
            "INSERT INTO executions (env, job, image, digest, status, log_path, started_at, owner_pid) VALUES (@e, @j, @i, @d, 'running', '', @t, @o) RETURNING id",
            ("@e", env), ("@j", job), ("@i", image), ("@d", digest), ("@t", Now), ("@o", ownerPid));
        Execute("UPDATE executions SET log_path = @log WHERE id = @id", ("@id", id), ("@log", logPath(id)));
        return (id, null);
    });

    /// <summary>Records the execution's process once it started: its pid and when it started (clock ticks since boot), which together name it.</summary>
    public void SetExecutionPid(long id, int pid, long? startTime) =>
        Execute("UPDATE executions SET pid = @p, pid_start_time = @s WHERE id = @id", ("@id", id), ("@p", pid), ("@s", startTime));

    /// <summary>Ends an execution: succeeded on exit 0, failed otherwise — or <paramref name="status"/> (cancelled) with why.</summary>
    public void FinishExecution(long id, int? exitCode, string? status = null, string? reason = null) =>
        Execute("UPDATE executions SET status = @s, exit_code = @c, ended_at = @t, reason = @r WHERE id = @id AND status = 'running'",
            ("@id", id), ("@s", status ?? (exitCode == 0 ? ExecutionStatus.Succeeded : ExecutionStatus.Failed)), ("@c", exitCode), ("@t", Now), ("@r", reason));

    /// <summary>The job's running execution, or null.</summary>
    public ExecutionRecord? RunningExecution(string env, string job) =>
        Query($"{SelectExecutions} WHERE env = @e AND job = @j AND status = 'running' ORDER BY id DESC LIMIT 1", ReadExecution, ("@e", env), ("@j", job)).FirstOrDefault();

    /// <summary>Every running execution, oldest first (what a starting agent reconciles).</summary>
    public IReadOnlyList<ExecutionRecord> RunningExecutions() =>
        Query($"{SelectExecutions} WHERE status = 'running' ORDER BY id", ReadExecution);

    public ExecutionRecord? FindExecution(long id) =>
        Query($"{SelectExecutions} WHERE id = @id", ReadExecution, ("@id", id)).FirstOrDefault();

    /// <summary>The job's executions, newest first.</summary>
    public IReadOnlyList<ExecutionRecord> Executions(string env, string job, int limit = 20) =>
        Query($"{SelectExecutions} WHERE env = @e AND job = @j ORDER BY id DESC LIMIT @n", ReadExecution, ("@e", env), ("@j", job), ("@n", limit));

    private const string SelectExecutions = "SELECT id, env, job, image, digest, status, exit_code, log_path, started_at, ended_at, owner_pid, pid, reason, pid_start_time FROM executions";

    private static ExecutionRecord ReadExecution(System.Data.Common.DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), NullableInt(r, 6), r.GetString(7), r.GetString(8), NullableString(r, 9))
        {
            OwnerPid = NullableInt(r, 10),
            Pid = NullableInt(r, 11),
            Reason = NullableString(r, 12),
            PidStartTime = r.IsDBNull(13) ? null : r.GetInt64(13),
        };
}
