using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>Cloud Run jobs in the double: image updates, runs that succeed or fail, executions.</summary>
public sealed partial class CloudRunDouble
{
    private readonly ConcurrentDictionary<string, JsonObject> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonObject> _executions = new(StringComparer.Ordinal);

    /// <summary>Jobs whose runs fail (their container exits non-zero).</summary>
    public ConcurrentDictionary<string, bool> FailingJobs { get; } = new(StringComparer.Ordinal);

    /// <summary>How the tasks of a job's executions end, by job: (succeeded, failed, cancelled) of the job's task count.</summary>
    public ConcurrentDictionary<string, (int Succeeded, int Failed, int Cancelled)> TaskOutcomes { get; } = new(StringComparer.Ordinal);

    /// <summary>Jobs whose executions keep running (their operation stays not done) until removed from here or cancelled.</summary>
    public ConcurrentDictionary<string, bool> RunningJobs { get; } = new(StringComparer.Ordinal);

    /// <summary>The executions cancelled through <c>executions:cancel</c>, by full name.</summary>
    public ConcurrentQueue<string> CancelledExecutions { get; } = new();

    public JsonObject Execution(string name) => _executions[name];

    public void AddJob(string project, string region, string job, string image, int taskCount = 1)
    {
        var name = $"projects/{project}/locations/{region}/jobs/{job}";
        _jobs[name] = new JsonObject
        {
            ["name"] = name,
            ["template"] = new JsonObject
            {
                ["taskCount"] = taskCount,
                ["template"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["image"] = image }), ["maxRetries"] = 0 },
            },
        };
        Touch(_jobs[name]);
    }

    public JsonObject Job(string name) => _jobs[name];

    private JsonObject? UpdateJob(string name, JsonObject patch)
    {
        if (!_jobs.TryGetValue(name, out var job))
        {
            return null;
        }

        if (patch["template"] is JsonObject template)
        {
            job["template"] = template.DeepClone();
        }

        Touch(job);

        return StartOperation(name, Packed(job, "Job"), done =>
        {
            done["response"] = Packed(_jobs[name], "Job");
            return done;
        });
    }

    private JsonObject? RunJob(string name)
    {
        if (!_jobs.TryGetValue(name, out var job))
        {
            return null;
        }

        var short_ = name.Split('/')[^1];
        var execution = $"{name}/executions/{short_}-{Guid.NewGuid().ToString("N")[..5]}";
        var tasks = job["template"]!["taskCount"]?.GetValue<int>() ?? 1;
        var (succeeded, failed, cancelled) = TaskOutcomes.TryGetValue(short_, out var outcome) ? outcome
            : FailingJobs.ContainsKey(short_) ? (0, tasks, 0) : (tasks, 0, 0);
        var record = new JsonObject
        {
            ["name"] = execution,
            ["job"] = short_,
            ["createTime"] = "2026-11-26T12:00:00Z",
            ["template"] = job["template"]!["template"]!.DeepClone(),
            ["taskCount"] = tasks,
            ["runningCount"] = tasks,
            ["logUri"] = $"https://console.cloud.google.com/logs/viewer?advancedFilter=resource.labels.job_name%3D{short_}",
        };
        _executions[execution] = record;
        // Executions of one job may run side by side (Cloud Run does not serialize them); the newest is the job's latest.
        job["latestCreatedExecution"] = new JsonObject { ["name"] = execution, ["createTime"] = "2026-11-26T12:00:00Z", ["completionStatus"] = "EXECUTION_RUNNING" };
        return StartOperation(name, Packed(record, "Execution"), done =>
        {
            if (record["cancelledCount"] is not null)
            {
                // A cancelled execution ends its run's operation without an error; its counts tell.
                done["response"] = Packed(record, "Execution");
                return done;
            }

            if (RunningJobs.ContainsKey(short_))
            {
                return null;
            }

            Complete(job, execution, record, succeeded, failed, cancelled);
            if (failed > 0)
            {
                done["error"] = new JsonObject { ["code"] = 2, ["message"] = $"Execution {execution.Split('/')[^1]} failed: {failed} task{(failed == 1 ? "" : "s")} failed." };
            }
            else
            {
                done["response"] = Packed(record, "Execution");
            }

            return done;
        });
    }

    /// <summary>Ends an execution with its task counts (Run Admin API v2, Execution: *_count) and its Completed condition.</summary>
    private static void Complete(JsonObject job, string execution, JsonObject record, int succeeded, int failed, int cancelled)
    {
        var short_ = record["job"]!.GetValue<string>();
        record["completionTime"] = "2026-11-26T12:01:00Z";
        record["runningCount"] = 0;
        record["succeededCount"] = succeeded;
        record["failedCount"] = failed;
        record["cancelledCount"] = cancelled;
        record["retriedCount"] = failed; // each failed task was tried again once (maxRetries) before it failed
        var ok = failed == 0 && cancelled == 0;
        record["conditions"] = new JsonArray(new JsonObject
        {
            ["type"] = "Completed",
            ["state"] = ok ? "CONDITION_SUCCEEDED" : "CONDITION_FAILED",
            ["message"] = failed > 0 ? $"Task {short_}-task0 failed with message: The container exited with an error." : cancelled > 0 ? $"{cancelled} task(s) cancelled." : "Execution completed successfully.",
        });
        if (job["latestCreatedExecution"]?["name"]?.GetValue<string>() == execution)
        {
            job["latestCreatedExecution"]!["completionTime"] = "2026-11-26T12:01:00Z";
            job["latestCreatedExecution"]!["completionStatus"] = failed > 0 ? "EXECUTION_FAILED" : cancelled > 0 ? "EXECUTION_CANCELLED" : "EXECUTION_SUCCEEDED";
        }
    }

    /// <summary>
    /// Cancels a running execution (Run Admin API v2, <c>Executions.CancelExecution</c>): its one task
    /// reaches phase Cancelled, its Completed condition fails with execution reason CANCELLED, and the
    /// job's latest execution reads EXECUTION_CANCELLED. A finished execution cannot be cancelled.
    /// </summary>
    private JsonObject? CancelExecution(string name, out string? refused)
    {
        refused = null;
        if (!_executions.TryGetValue(name, out var record))
        {
            return null;
        }

        if (record["completionTime"] is not null)
        {
            refused = $"Execution {name.Split('/')[^1]} has already completed.";
            return null;
        }

        record["completionTime"] = "2026-11-26T12:00:30Z";
        record["cancelledCount"] = record["runningCount"]!.GetValue<int>();
        record["runningCount"] = 0;
        record["conditions"] = new JsonArray(new JsonObject
        {
            ["type"] = "Completed",
            ["state"] = "CONDITION_FAILED",
            ["executionReason"] = "CANCELLED",
            ["message"] = "The execution was cancelled.",
        });
        var job = _jobs[name[..name.IndexOf("/executions/", StringComparison.Ordinal)]];
        if (job["latestCreatedExecution"]!["name"]!.GetValue<string>() == name)
        {
            job["latestCreatedExecution"]!["completionTime"] = "2026-11-26T12:00:30Z";
            job["latestCreatedExecution"]!["completionStatus"] = "EXECUTION_CANCELLED";
        }
        CancelledExecutions.Enqueue(name);
        return StartOperation(name, Packed(record, "Execution"), done =>
        {
            done["response"] = Packed(record, "Execution");
            return done;
        });
    }
}
