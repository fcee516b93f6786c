using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Telemetry;

namespace DeployMatrix.Engine.Execution;

/// <summary>
/// Runs a plan's steps in order. Every step is journaled before and after it runs; the first failure
/// stops the plan with that step's exit code, and the receipt says what happened. Cancelled (SIGINT,
/// SIGTERM), a plan stops at the next step boundary — a running job execution is stopped or awaited —
/// and ends <c>cancelled</c> with its receipt and audit record, then throws <see cref="OperationCanceledException"/>.
/// The end — receipt, journal and audit record — is written by the recorder in one go.
/// </summary>
public sealed class PlanExecutor(IStepRunner runner, Recorder recorder, TimeProvider time, IExecutionReporter reporter)
{
    /// <summary>The stable revision recorded for the plan's target when it starts (see <see cref="StableRevision"/>).</summary>
    public string? RecordedStable { get; init; }

    /// <summary>Records a new stable revision as a change begins (the workspace writes it to the store).</summary>
    public Action<string> RecordStable { get; init; } = _ => { };

    /// <summary>Facts known before the first step (the content digest the plan's tag is bound to); steps may refine them.</summary>
    public IReadOnlyDictionary<string, string> Facts { get; init; } = new Dictionary<string, string>();

    /// <summary>How the plan's job executions wait for another and end on cancel.</summary>
    public JobRun JobRun { get; init; } = JobRun.Default;

    /// <summary>Runs the plan's verify steps (or skips them, audited); null fails a plan that has any.</summary>
    public Verify.IVerifyRunner? Verify { get; init; }

    public async Task<ExecutionResult> RunAsync(Plan plan, CancellationToken cancellationToken)
    {
        var context = new StepContext(plan) { RecordedStable = RecordedStable, JobRun = JobRun, BoundDigest = Facts.GetValueOrDefault("digest") };
        foreach (var (key, value) in Facts)
        {
            context.Facts[key] = value;
        }

        context.ChangeBegins = before =>
        {
            if (StableRevision.ToRecord(before) is { } serving)
            {
                RecordStable(serving);
                context.RecordedStable = serving;
            }
        };
        var outcomes = new List<StepOutcome>();
        var action = PlanActions.Name(plan.Action);
        var log = recorder.Begin(action, plan.Lane, plan.Scope, plan.Tag is null ? null : $"tag {plan.Tag}");
        var exitCode = ExitCodes.Ok;
        string? error = null;
        string? cancelled = null;
        for (var i = 0; i < plan.Steps.Count && error is null && cancelled is null; i++)
        {
            var step = plan.Steps[i];
            var description = step.Describe();
            if (cancellationToken.IsCancellationRequested)
            {
                // Stopped between steps: the next one never starts.
                cancelled = $"cancelled before step {i + 1}: {description}";
                break;
            }

            reporter.StepStarted(i + 1, plan.Steps.Count, description);
            log.Step(description, "started", null);
            using var span = Tracing.StartStep(plan, step, i + 1);
            var started = time.GetUtcNow();
            string? detail;
            try
            {
                // A step runs to its end once started (each is bounded), so a cancel stops the plan at a step
                // boundary; only a job execution, which may run for long, is stopped — or awaited — mid-step.
                detail = step switch
                {
                    WriteReceipt write => context.ReceiptPath = recorder.Receipts.Write(write.Target, write.Action, plan.Tag, outcomes, context.Facts, null, context.Smoke),
                    // A verify check changes nothing, so a cancel may stop it mid-way (a long test run).
                    RunVerifyCheck verify => await VerifyAsync(verify, context, cancellationToken),
                    _ => await runner.RunAsync(step, context, step is ExecuteJob ? cancellationToken : CancellationToken.None),
                };
            }
            catch (PlatformException e)
            {
                // A failed verify check's detail carries its log's tail, which the reporter shows under the step.
                (exitCode, error, detail) = (e.ExitCode, e.Message, e is Verify.VerifyFailedException v ? $"{e.Message}\n{v.LogTail}" : e.Message);
            }
            catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
            {
                // The platform says what became of a running execution (stopped, awaited, left running).
                cancelled = $"cancelled during step {i + 1}: {description}{(e is ExecutionCancelledException job ? $" ({job.Message})" : "")}";
                detail = cancelled;
            }

            var outcome = new StepOutcome(i + 1, step.KindName, description, error is null && cancelled is null, detail, started, time.GetUtcNow()) { Cancelled = cancelled is not null };
            outcomes.Add(outcome);
            Tracing.EndStep(span, outcome, context.NewRevision);
            log.Step(description, outcome.Ok ? "succeeded" : cancelled is null ? "failed" : "cancelled", detail);
            reporter.StepFinished(outcome);
        }

        var end = error ?? cancelled;
        var receipt = context.ReceiptPath;
        // A plan stopped by its verify checks (which run before the first change) tried nothing on the platform: the
        // journal and the audit record say why, and no receipt claims a deploy.
        var stoppedByVerify = outcomes.Count > 0 && plan.Steps[outcomes.Count - 1] is RunVerifyCheck;
        if (end is not null && !stoppedByVerify && plan.Steps.OfType<WriteReceipt>().FirstOrDefault() is { } receiptStep)
        {
            // A failed or cancelled plan still leaves a receipt: it is the evidence of what was tried.
            receipt = recorder.Receipts.Write(receiptStep.Target, receiptStep.Action, plan.Tag, outcomes, context.Facts, end, context.Smoke, cancelled: cancelled is not null);
        }

        if (cancelled is not null)
        {
            log.End("cancelled", Inputs(plan, context), cancelled, receipt, cancelled);
            throw new OperationCanceledException(cancelled, cancellationToken);
        }

        log.End(error is null ? "succeeded" : "failed", Inputs(plan, context), error is null ? "succeeded" : $"failed: {error}", receipt, error);
        return new ExecutionResult(exitCode, error, outcomes, receipt, context.Facts);
    }

    private async Task<string?> VerifyAsync(RunVerifyCheck step, StepContext context, CancellationToken ct)
    {
        var verify = Verify ?? throw new PlatformException($"this run cannot carry out verify steps ({step.CheckId})");
        try
        {
            return await verify.RunAsync(step, ct);
        }
        finally
        {
            foreach (var (key, value) in verify.Facts)
            {
                context.Facts[key] = value;
            }
        }
    }

    private static Dictionary<string, string?> Inputs(Plan plan, StepContext context) => new(StringComparer.Ordinal)
    {
        ["tag"] = plan.Tag,
        ["platform"] = plan.Platform is { } platform ? PlatformNames.Name(platform) : null,
        ["revision"] = context.NewRevision,
        ["traffic"] = context.Facts.GetValueOrDefault("traffic_after"),
    };

    public static string FormatTraffic(IEnumerable<TrafficAssignment> traffic)
    {
        var text = string.Join(",", traffic.Where(t => t.Percent > 0).Select(t => $"{t.Revision}={t.Percent}"));
        return text.Length == 0 ? "none" : text;
    }
}
