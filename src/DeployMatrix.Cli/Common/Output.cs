using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Core.Text;

namespace DeployMatrix.Cli.Common;

/// <summary>Prints each step as it runs: "[2/7] verify that … ok".</summary>
internal sealed class ConsoleReporter(TextWriter output) : IExecutionReporter
{
    public void StepStarted(int index, int count, string description) => output.Write($"[{index}/{count}] {description} … ");

    public void StepFinished(StepOutcome outcome) =>
        output.WriteLine(outcome.Ok ? $"ok{(outcome.Detail is null ? "" : $" ({outcome.Detail})")}" : outcome.Cancelled ? "CANCELLED" : "FAILED");
}

/// <summary>How a plan verb's result reads: its notes, its receipt, then its error as one line; its exit code.</summary>
internal static class PlanOutput
{
    public static int Print(ExecutionResult outcome, CliContext context)
    {
        foreach (var note in outcome.Notes)
        {
            context.Out.WriteLine($"note: {note}");
        }

        if (outcome.ReceiptPath is { } receipt)
        {
            context.Out.WriteLine($"receipt: {MatrixSource.Display(receipt, context)}");
        }

        if (!outcome.Ok)
        {
            context.Err.WriteLine($"deploymatrix: {UntrustedText.OneLine(outcome.Error ?? "")}");
        }

        return outcome.ExitCode;
    }
}
