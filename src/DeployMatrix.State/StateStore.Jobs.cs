namespace DeployMatrix.State;

public sealed partial class StateStore
{
    public void PutJob(JobRecord job) => Execute(
        """
        INSERT INTO jobs (env, job, lane, service, image, digest, updated_at) VALUES ($e, $j, $l, $s, $i, $d, $t)
        ON CONFLICT (env, job) DO UPDATE SET image = $i, digest = $d, updated_at = $t
        """,
        ("$e", job.Env), ("$j", job.Job), ("$l", job.Lane), ("$s", job.Service), ("$i", job.Image), ("$d", job.Digest), ("$t", Now));

    public JobRecord? FindJob(string env, string job) =>
        Query("SELECT env, job, lane, service, image, digest FROM jobs WHERE env = $e AND job = $j",
            r => new JobRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5)), ("$e", env), ("$j", job)).FirstOrDefault();

    public long StartExecution(string env, string job, string image, string digest, string logPath)
    {
        return Scalar<long>(
            "INSERT INTO executions (env, job, image, digest, status, log_path, started_at) VALUES ($e, $j, $i, $d, 'running', $log, $t) RETURNING id",
            ("$e", env), ("$j", job), ("$i", image), ("$d", digest), ("$log", logPath), ("$t", Now));
    }

    public void FinishExecution(long id, int exitCode) =>
        Execute("UPDATE executions SET status = $s, exit_code = $c, ended_at = $t WHERE id = $id",
            ("$id", id), ("$s", exitCode == 0 ? ExecutionStatus.Succeeded : ExecutionStatus.Failed), ("$c", exitCode), ("$t", Now));

    /// <summary>The job's executions, newest first.</summary>
    public IReadOnlyList<ExecutionRecord> Executions(string env, string job, int limit = 20) =>
        Query("SELECT id, env, job, image, digest, status, exit_code, log_path, started_at, ended_at FROM executions WHERE env = $e AND job = $j ORDER BY id DESC LIMIT $n",
            r => new ExecutionRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), NullableInt(r, 6), r.GetString(7), r.GetString(8), NullableString(r, 9)),
            ("$e", env), ("$j", job), ("$n", limit));
}
