using DeployMatrix.Core;
using DeployMatrix.Engine.Recording;

namespace DeployMatrix.Engine.Execution;

/// <summary>How a plan ended: the exit code a command returns, why, and where the receipt is.</summary>
public sealed record ExecutionResult(int ExitCode, string? Error, IReadOnlyList<StepOutcome> Steps, string? ReceiptPath, IReadOnlyDictionary<string, string> Facts)
{
    public bool Ok => ExitCode == ExitCodes.Ok;

    /// <summary>What a person should know once it ran (a deploy: where its traffic stays and how it moves on).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
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
