using System.Collections.Concurrent;
using DeployMatrix.Engine.Processes;
using DeployMatrix.State;

namespace DeployMatrix.Local.Agent;

/// <summary>
/// Job executions belong to the agent, as they belong to Cloud Run: a CLI that dies (Ctrl-C, a CI
/// cancel, SIGKILL) cannot orphan one, and a job runs one execution at a time — a second is refused
/// (409) naming the one that runs. A CLI that is cancelled asks the agent to stop its execution
/// (SIGINT, then the tree killed after the grace period); the execution is then <c>cancelled</c>.
/// </summary>
public sealed partial class LocalAgent
{
    private readonly ConcurrentDictionary<long, RunningExecution> _executions = new();

    private sealed class RunningExecution(long id, ChildProcess process)
    {
        public long Id { get; } = id;

        public ChildProcess Process { get; } = process;

        public Task Finished { get; set; } = Task.CompletedTask;

        public string? CancelledBecause { get; set; }
    }

    /// <exception cref="AgentException">An execution of the job is running (409), or the artifact is not a stored one matching its digest (400).</exception>
    public ExecutionView StartExecution(StartExecutionRequest request)
    {
        if (_artifacts.CheckLaunchable(request.Launch.Executable, request.Digest) is { } refused)
        {
            throw new AgentException(400, $"artifact {request.Image} cannot be launched: {refused}");
        }

        var (id, running) = Locked(() => state.StartExecution(request.Env, request.Job, request.Image, request.Digest, n => paths.JobLog(request.Env, request.Job, n), Environment.ProcessId));
        if (running is not null)
        {
            throw new AgentException(409, $"execution {ExecutionName(running.Job, running.Id)} of job {request.Job} is running since {running.StartedAt}; one execution of a job runs at a time");
        }

        var log = paths.JobLog(request.Env, request.Job, id!.Value);
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        Directory.CreateDirectory(request.DataDir);
        ChildProcess child;
        try
        {
            child = _processes.Start(request.Launch.Process(request.Extra, log, options.StopGrace));
        }
        catch (ProcessStartException e)
        {
            Locked(() => state.FinishExecution(id.Value, 127, reason: $"cannot start: {e.Reason}"));
            throw new AgentException(400, $"job {request.Job} cannot start: {e.Reason}");
        }

        Locked(() => state.SetExecutionPid(id.Value, child.Pid, child.StartTime));
        var execution = new RunningExecution(id.Value, child);
        _executions[id.Value] = execution;
        execution.Finished = FinishWhenExitedAsync(execution);
        return ExecutionOf(id.Value)!;
    }

    /// <summary>An execution as the store has it, or null.</summary>
    public ExecutionView? ExecutionOf(long id) => Locked(() => state.FindExecution(id)) is { } r ? View(r) : null;

    /// <summary>Stops a running execution (SIGINT, the grace period, then its tree killed) and marks it cancelled with why.</summary>
    /// <returns>The execution as it ended; one that already ended is returned as it is.</returns>
    public async Task<ExecutionView?> CancelExecutionAsync(long id, string reason)
    {
        if (_executions.TryGetValue(id, out var running))
        {
            running.CancelledBecause = reason;
            await running.Process.StopAsync(options.StopGrace);
            await running.Finished;
        }

        return ExecutionOf(id);
    }

    private async Task FinishWhenExitedAsync(RunningExecution execution)
    {
        await Task.Yield();
        var code = await execution.Process.Exited;
        await execution.Process.DisposeAsync();
        if (execution.CancelledBecause is { } why)
        {
            Locked(() => state.FinishExecution(execution.Id, code, ExecutionStatus.Cancelled, why));
        }
        else if (_stopping)
        {
            Locked(() => state.FinishExecution(execution.Id, code, ExecutionStatus.Failed, "stopped with the agent"));
        }
        else
        {
            Locked(() => state.FinishExecution(execution.Id, code));
        }

        _executions.TryRemove(execution.Id, out _);
    }

    /// <summary>
    /// Executions a previous agent left running have no owner now: a process still alive is killed (its
    /// output so far stays in the log), and each is marked failed with why.
    /// </summary>
    private void ReconcileExecutions()
    {
        foreach (var orphan in Locked(() => state.RunningExecutions()))
        {
            var killed = orphan.Pid is { } pid && orphan.PidStartTime is { } started && KillIfSame(pid, started);
            var owner = orphan.OwnerPid is { } o ? $"agent pid {o}" : "the command that started it";
            Locked(() => state.FinishExecution(orphan.Id, null, ExecutionStatus.Failed,
                $"its owner ({owner}) vanished{(killed ? "; the process it left was stopped" : "")}; log kept at {orphan.LogPath}"));
        }
    }

    private static ExecutionView View(ExecutionRecord r) =>
        new(r.Id, ExecutionName(r.Job, r.Id), r.Env, r.Job, r.Image, r.Status, r.ExitCode, r.LogPath, r.StartedAt, r.EndedAt, r.Reason);

    /// <summary>How an execution is named: JOB-NNNNN, as Cloud Run names JOB-xxxxx.</summary>
    public static string ExecutionName(string job, long id) => $"{job}-{id:D5}";
}
