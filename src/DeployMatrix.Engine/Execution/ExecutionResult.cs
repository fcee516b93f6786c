using DeployMatrix.Core;

namespace DeployMatrix.Engine.Execution;

/// <summary>One step's outcome as the executor records it (journal, receipt, output).</summary>
public sealed record StepOutcome(int Index, string Kind, string Description, bool Ok, string? Detail, DateTimeOffset StartedAt, DateTimeOffset EndedAt);

/// <summary>How a plan ended: the exit code a command returns, why, and where the receipt is.</summary>
public sealed record ExecutionResult(int ExitCode, string? Error, IReadOnlyList<StepOutcome> Steps, string? ReceiptPath, IReadOnlyDictionary<string, string> Facts)
{
    public bool Ok => ExitCode == ExitCodes.Ok;
}

/// <summary>Where the executor reports progress (the CLI prints it; tests collect it).</summary>
public interface IExecutionReporter
{
    void StepStarted(int index, int count, string description);

    void StepFinished(StepOutcome outcome);

    static readonly IExecutionReporter None = new NoReporter();

    private sealed class NoReporter : IExecutionReporter
    {
        public void StepStarted(int index, int count, string description)
        {
        }

        public void StepFinished(StepOutcome outcome)
        {
        }
    }
}
