using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Recording;

namespace DeployMatrix.Engine.Execution;

/// <summary>
/// Runs a plan's steps in order. Every step is journaled before and after it runs; the first failure
/// stops the plan with that step's exit code, and the receipt says what happened. A plan stopped by a
/// signal journals that it was interrupted at its step. The end — receipt, journal and audit record —
/// is written by the recorder in one go.
/// </summary>
public sealed class PlanExecutor(IStepRunner runner, Recorder recorder, TimeProvider time, IExecutionReporter reporter)
{
    /// <summary>The stable revision recorded for the plan's target when it starts (see <see cref="StableRevision"/>).</summary>
    public string? RecordedStable { get; init; }

    /// <summary>Records a new stable revision as a change begins (the workspace writes it to the store).</summary>
    public Action<string> RecordStable { get; init; } = _ => { };

    /// <summary>Facts known before the first step (the content digest the plan's tag is bound to); steps may refine them.</summary>
    public IReadOnlyDictionary<string, string> Facts { get; init; } = new Dictionary<string, string>();

    public async Task<ExecutionResult> RunAsync(Plan plan, CancellationToken cancellationToken)
    {
        var context = new StepContext(plan) { RecordedStable = RecordedStable };
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
        var log = recorder.Begin(action, plan.Lane, plan.Environment, plan.Tag is null ? null : $"tag {plan.Tag}");
        var exitCode = ExitCodes.Ok;
        string? error = null;
        try
        {
            for (var i = 0; i < plan.Steps.Count && error is null; i++)
            {
                var step = plan.Steps[i];
                var description = step.Describe();
                reporter.StepStarted(i + 1, plan.Steps.Count, description);
                log.Step(description, "started", null);
                var started = time.GetUtcNow();
                string? detail;
                try
                {
                    detail = step is WriteReceipt write
                        ? context.ReceiptPath = recorder.Receipts.Write(write.Target, write.Action, plan.Tag, outcomes, context.Facts, null)
                        : await runner.RunAsync(step, context, cancellationToken);
                }
                catch (PlatformException e)
                {
                    (exitCode, error, detail) = (e.ExitCode, e.Message, e.Message);
                }

                var outcome = new StepOutcome(i + 1, step.KindName, description, error is null, detail, started, time.GetUtcNow());
                outcomes.Add(outcome);
                log.Step(description, outcome.Ok ? "succeeded" : "failed", detail);
                reporter.StepFinished(outcome);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped by a signal: the journal says where, and the audit chain that it was interrupted.
            var at = outcomes.Count < plan.Steps.Count ? plan.Steps[outcomes.Count].Describe() : "the end";
            log.End("interrupted", Inputs(plan, context), $"interrupted at: {at}");
            throw;
        }

        var receipt = context.ReceiptPath;
        if (error is not null && plan.Steps.OfType<WriteReceipt>().FirstOrDefault() is { } receiptStep)
        {
            // A failed plan still leaves a receipt: it is the evidence of what was tried.
            receipt = recorder.Receipts.Write(receiptStep.Target, receiptStep.Action, plan.Tag, outcomes, context.Facts, error);
        }

        log.End(error is null ? "succeeded" : "failed", Inputs(plan, context), error is null ? "succeeded" : $"failed: {error}", receipt, error);
        return new ExecutionResult(exitCode, error, outcomes, receipt, context.Facts);
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
