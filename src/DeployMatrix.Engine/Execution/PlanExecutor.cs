using DeployMatrix.Core;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Platform;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Execution;

/// <summary>
/// Runs a plan's steps in order on a platform. Every step is journaled before and after it runs; the
/// first failure stops the plan with that step's exit code, and the receipt says what happened.
/// </summary>
public sealed class PlanExecutor(IStepRunner runner, StateStore state, TimeProvider time, ReceiptWriter receipts, IExecutionReporter reporter)
{
    /// <summary>An executor that runs steps through a platform's API (the local agent, Cloud Run's Admin API).</summary>
    public PlanExecutor(IPlatform platform, StateStore state, TimeProvider time, ReceiptWriter receipts, IExecutionReporter reporter)
        : this(new PlatformStepRunner(platform), state, time, receipts, reporter)
    {
    }

    public async Task<ExecutionResult> RunAsync(Plan plan, string actor, CancellationToken cancellationToken)
    {
        var context = new StepContext(plan);
        var outcomes = new List<StepOutcome>();
        var action = PlanActions.Name(plan.Action);
        state.Journal(actor, plan.Lane, plan.Environment, action, null, "started", $"tag {plan.Tag}");
        int exitCode = ExitCodes.Ok;
        string? error = null;
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            var description = step.Describe();
            reporter.StepStarted(i + 1, plan.Steps.Count, description);
            state.Journal(actor, plan.Lane, plan.Environment, action, description, "started", null);
            var started = time.GetUtcNow();
            string? detail;
            try
            {
                detail = step is WriteReceipt write
                    ? context.ReceiptPath = receipts.Write(write.Target, write.Action, plan.Tag, outcomes, context.Facts, null)
                    : await runner.RunAsync(step, context, cancellationToken);
            }
            catch (PlatformException e)
            {
                (exitCode, error) = (e.ExitCode, e.Message);
                detail = e.Message;
            }

            var outcome = new StepOutcome(i + 1, StepKind(step), description, error is null, detail, started, time.GetUtcNow());
            outcomes.Add(outcome);
            state.Journal(actor, plan.Lane, plan.Environment, action, description, outcome.Ok ? "succeeded" : "failed", detail);
            reporter.StepFinished(outcome);
            if (error is not null)
            {
                break;
            }
        }

        state.Journal(actor, plan.Lane, plan.Environment, action, null, error is null ? "succeeded" : "failed", error);
        var receipt = context.ReceiptPath;
        if (error is not null && plan.Steps.OfType<WriteReceipt>().FirstOrDefault() is { } receiptStep)
        {
            // A failed plan still leaves a receipt: it is the evidence of what was tried.
            receipt = receipts.Write(receiptStep.Target, receiptStep.Action, plan.Tag, outcomes, context.Facts, error);
        }

        var inputs = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["tag"] = plan.Tag,
            ["platform"] = plan.Platform?.ToString().ToLowerInvariant(),
            ["revision"] = context.NewRevision,
            ["traffic"] = context.Facts.GetValueOrDefault("traffic_after"),
        };
        new Audit.AuditLog(state).Append(actor, action, plan.Lane, plan.Environment, inputs, error is null ? "succeeded" : $"failed: {error}", receipt);
        return new ExecutionResult(exitCode, error, outcomes, receipt, context.Facts);
    }

    public static string FormatTraffic(IEnumerable<TrafficAssignment> traffic)
    {
        var text = string.Join(",", traffic.Where(t => t.Percent > 0).Select(t => $"{t.Revision}={t.Percent}"));
        return text.Length == 0 ? "none" : text;
    }

    private static string StepKind(Step step) => step.KindName;
}
