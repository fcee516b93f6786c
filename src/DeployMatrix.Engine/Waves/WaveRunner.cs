using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Recording;

namespace DeployMatrix.Engine.Waves;

/// <summary>
/// The one place a command runs over an environment's targets: each target is a wave, run one after another
/// (<see cref="WaveOrder.Sequential"/>: a wave must end — deploy, migration, smoke and rollout — before the next
/// starts, and a failed wave leaves the ones behind it untouched) or all at once (<see cref="WaveOrder.Parallel"/>).
/// An environment with one target is one wave whose failure is thrown as it always was, so single-region
/// matrices behave exactly as before.
/// </summary>
public static class WaveRunner
{
    /// <param name="run">The operation on one target; a refusal or failure is an <see cref="OperationException"/> with its exit code.</param>
    /// <param name="judge">Whether what <paramref name="run"/> returned is a success: its exit code (0 ok) and its error line.</param>
    /// <exception cref="OperationException">The only target's operation failed (one wave: thrown as is).</exception>
    /// <exception cref="OperationCanceledException">The command was cancelled: waves not started never start.</exception>
    public static async Task<WavesResult<T>> RunAsync<T>(
        IReadOnlyList<ResolvedTarget> targets, WaveOrder order, Func<ResolvedTarget, CancellationToken, Task<T>> run,
        Func<T, (int ExitCode, string? Error)> judge, IWaveReporter reporter, CancellationToken ct)
    {
        if (targets.Count == 1)
        {
            var result = await run(targets[0], ct);
            var (code, error) = judge(result);
            return new WavesResult<T>(order, [new WaveOutcome<T>(1, targets[0], code == ExitCodes.Ok ? WaveStatus.Succeeded : WaveStatus.Failed, result, code, error)]);
        }

        async Task<WaveOutcome<T>> Wave(int index, ResolvedTarget target)
        {
            reporter.WaveStarted(index, targets.Count, target, order);
            WaveOutcome<T> outcome;
            try
            {
                var result = await run(target, ct);
                var (code, error) = judge(result);
                outcome = new WaveOutcome<T>(index, target, code == ExitCodes.Ok ? WaveStatus.Succeeded : WaveStatus.Failed, result, code, error);
            }
            catch (OperationException e)
            {
                outcome = new WaveOutcome<T>(index, target, WaveStatus.Failed, default, e.ExitCode, e.Message);
            }

            reporter.WaveEnded(index, targets.Count, target, outcome.Status, outcome.Error);
            return outcome;
        }

        if (order == WaveOrder.Parallel)
        {
            return new WavesResult<T>(order, await Task.WhenAll(targets.Select((t, i) => Wave(i + 1, t))));
        }

        var outcomes = new List<WaveOutcome<T>>();
        foreach (var (target, i) in targets.Select((t, i) => (t, i)))
        {
            // A failed wave stops the ones behind it: they are reported as never touched.
            outcomes.Add(outcomes.Any(o => o.Status != WaveStatus.Succeeded)
                ? new WaveOutcome<T>(i + 1, target, WaveStatus.NotStarted, default, ExitCodes.Ok, null)
                : await Wave(i + 1, target));
        }

        return new WavesResult<T>(order, outcomes);
    }

    /// <summary>
    /// The step reporter a wave's plan reports to: the command's own for one target; for several, each step is
    /// named by its region, and in parallel waves reported whole once it ended, so lines of two regions never mix.
    /// </summary>
    public static IExecutionReporter StepsOf(IExecutionReporter inner, ResolvedTarget target, WaveOrder order, bool several) =>
        several ? new RegionStepReporter(inner, target.Region ?? target.Environment, order == WaveOrder.Parallel) : inner;

    private sealed class RegionStepReporter(IExecutionReporter inner, string region, bool whole) : IExecutionReporter
    {
        private static readonly Lock Output = new();
        private (int Index, int Count, string Description)? _started;

        public void StepStarted(int index, int count, string description)
        {
            if (whole)
            {
                _started = (index, count, $"{region}: {description}");
                return;
            }

            inner.StepStarted(index, count, $"{region}: {description}");
        }

        public void StepFinished(StepOutcome outcome)
        {
            if (!whole)
            {
                inner.StepFinished(outcome);
                return;
            }

            lock (Output)
            {
                if (_started is { } started)
                {
                    inner.StepStarted(started.Index, started.Count, started.Description);
                }

                inner.StepFinished(outcome);
            }
        }
    }
}
