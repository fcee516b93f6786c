using System.Text.Json;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.CloudRun.Gcloud;

/// <summary>
/// The migration job through gcloud (<c>gcloud run jobs execute --wait</c>). The execution runs on
/// Cloud Run whatever happens to gcloud, so a cancelled command does not just stop gcloud: it cancels
/// the job's running execution (<c>gcloud run jobs executions cancel</c>), or, with
/// <see cref="JobRun.WaitOnCancel"/>, lets gcloud see it through.
/// </summary>
public sealed partial class GcloudStepRunner
{
    private async Task<string> ExecuteJobAsync(ExecuteJob execute, StepContext context, CancellationToken ct)
    {
        ProcessResult result;
        try
        {
            result = (await RunAllAsync(execute, context, context.JobRun.WaitOnCancel ? CancellationToken.None : ct, allowFailure: true))[0];
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw await CancelRunningAsync(execute, context, ct);
        }

        // --format 'value(metadata.name)' prints the execution's name alone on stdout (the seed's helper reads
        // its last line); a failed run prints nothing there, and gcloud names it on stderr ("Execution [NAME]").
        var execution = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
            ?? (ExecutionName().Match(result.Stderr) is { Success: true } m ? m.Groups[1].Value : null);
        if (execution is not null)
        {
            context.Facts["migrate_execution"] = execution;
        }

        if (ct.IsCancellationRequested)
        {
            // Cancelled while gcloud waited (--wait-on-cancel): the execution ended by itself.
            throw new ExecutionCancelledException(execution ?? "?", $"awaited: it {(result.ExitCode == 0 ? "succeeded" : "failed")}", ct);
        }

        return result.ExitCode == 0
            ? $"{Commands(execute, context)} → execution {execution ?? "?"} succeeded"
            : throw new PlatformException(
                $"migration job {execute.Job} failed ({Commands(execute, context)} exited {result.ExitCode}: {result.LastError}); logs: gcloud run jobs executions describe {execution ?? "EXECUTION"} --project {execute.Target.Project} --region {execute.Target.Region}");
    }

    /// <summary>Cancels the job's newest execution if it still runs; returns what to throw.</summary>
    private async Task<OperationCanceledException> CancelRunningAsync(ExecuteJob execute, StepContext context, CancellationToken ct)
    {
        try
        {
            var listed = await run(GcloudCommands.LatestExecution(execute.Target, execute.Job), CancellationToken.None);
            if (Running(listed) is not { } execution)
            {
                return new OperationCanceledException(ct);
            }

            context.Facts["migrate_execution"] = execution;
            var cancelled = await run(GcloudCommands.CancelExecution(execute.Target, execution), CancellationToken.None);
            return new ExecutionCancelledException(execution, cancelled.ExitCode == 0
                ? "stopped"
                : $"could not be stopped ({cancelled.LastError}); stop it with: {ShellRenderer.Join(GcloudCommands.CancelExecution(execute.Target, execution))}", ct);
        }
        catch (Exception e) when (e is PlatformException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new ExecutionCancelledException("?", $"may still run ({e.Message}); see: {ShellRenderer.Join(GcloudCommands.LatestExecution(execute.Target, execute.Job))}", ct);
        }
    }

    /// <summary>The newest execution's name while it has no completion time (Cloud Run's v1 Execution, <c>status.completionTime</c>).</summary>
    private static string? Running(ProcessResult listed)
    {
        if (listed.ExitCode != 0 || listed.Stdout.Length == 0)
        {
            return null;
        }

        using var document = JsonDocument.Parse(listed.Stdout);
        if (document.RootElement.ValueKind != JsonValueKind.Array || document.RootElement.GetArrayLength() == 0)
        {
            return null;
        }

        var execution = document.RootElement[0];
        var done = execution.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object && status.TryGetProperty("completionTime", out _);
        return done ? null : execution.GetProperty("metadata").GetProperty("name").GetString();
    }
}
