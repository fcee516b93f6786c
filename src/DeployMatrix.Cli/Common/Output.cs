using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Core.Text;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Waves;

namespace DeployMatrix.Cli.Common;

/// <summary>Prints each step as it runs: "[2/7] verify that … ok"; with <paramref name="color"/>, ok green, FAILED red, CANCELLED yellow.</summary>
internal sealed class ConsoleReporter(TextWriter output, bool color = false) : IExecutionReporter
{
    public void StepStarted(int index, int count, string description) => output.Write($"[{index}/{count}] {description} … ");

    public void StepFinished(StepOutcome outcome)
    {
        output.WriteLine(outcome.Ok ? $"{Palette.Paint("ok", Palette.Green, color)}{(outcome.Detail is null ? "" : $" ({outcome.Detail})")}"
            : outcome.Cancelled ? Palette.Paint("CANCELLED", Palette.Yellow, color) : Palette.Paint("FAILED", Palette.Red, color));
        if (!outcome.Ok && outcome.Kind == "verify-check" && outcome.Detail is { } detail)
        {
            // A failed verify check shows the end of its log under it; each line escaped, so none passes for the tool's own.
            foreach (var line in detail.Split('\n').Skip(1))
            {
                output.WriteLine(UntrustedText.OneLine(line));
            }
        }
    }
}

/// <summary>The step reporter of the commands that change a platform: each step's result, coloured at a terminal, with the elapsed time of long steps.</summary>
internal static class StepReporters
{
    public static IExecutionReporter For(System.CommandLine.ParseResult result, CliContext context) =>
        new ElapsedStepReporter(new ConsoleReporter(context.Out, Palette.Enabled(result, context)), context.Out, context.Time, context.Color);
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

/// <summary>Names each wave of a command over an environment in several regions as it starts and ends.</summary>
internal sealed class ConsoleWaveReporter(TextWriter output) : IWaveReporter
{
    private readonly Lock _lock = new();

    public void WaveStarted(int index, int count, ResolvedTarget target, WaveOrder order)
    {
        lock (_lock)
        {
            output.WriteLine($"== wave {index}/{count} ({WaveOrders.Name(order)}): {target.Lane} in {target.Where} — {target}");
        }
    }

    public void WaveEnded(int index, int count, ResolvedTarget target, WaveStatus status, string? error)
    {
        lock (_lock)
        {
            output.WriteLine($"== wave {index}/{count}: {target.Region ?? target.Environment} {(status == WaveStatus.Succeeded ? "succeeded" : $"FAILED: {UntrustedText.OneLine(error ?? "")}")}");
        }
    }
}

/// <summary>How a command over an environment's regions ends: each region's notes and receipt, then one line naming what ran and what was never touched.</summary>
internal static class WaveOutput
{
    /// <returns>The command's exit code: the first failed wave's, else 0.</returns>
    public static int Print(WavesResult<ExecutionResult> waves, CliContext context)
    {
        if (!waves.Several)
        {
            return PlanOutput.Print(waves.Waves[0].Result!, context);
        }

        foreach (var wave in waves.Waves.Where(w => w.Result is not null))
        {
            var region = wave.Target.Region;
            foreach (var note in wave.Result!.Notes)
            {
                context.Out.WriteLine($"note: {region}: {note}");
            }

            if (wave.Result.ReceiptPath is { } receipt)
            {
                context.Out.WriteLine($"receipt: {region}: {MatrixSource.Display(receipt, context)}");
            }
        }

        return Summary(waves, context);
    }

    /// <summary>The closing line of several waves: on stdout when all succeeded, else on stderr as the command's error.</summary>
    public static int Summary<T>(WavesResult<T> waves, CliContext context)
    {
        if (waves.Ok)
        {
            context.Out.WriteLine(UntrustedText.OneLine(waves.Summary));
        }
        else
        {
            context.Err.WriteLine($"deploymatrix: {UntrustedText.OneLine(waves.Summary)}");
        }

        return waves.ExitCode;
    }
}
