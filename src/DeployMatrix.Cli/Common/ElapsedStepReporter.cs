using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Recording;

namespace DeployMatrix.Cli.Common;

/// <summary>
/// Shows how long a step has been running while it waits (a Cloud Build, a migration execution, a revision that
/// becomes ready slowly). At a terminal the step's line is redrawn with the elapsed time every second once the step
/// has run <see cref="TerminalAfter"/>; elsewhere (CI logs, pipes) a line every <see cref="LogEvery"/>, and the
/// step's line again when it ends, so its result stays next to its name. Time is the injected clock's.
/// </summary>
internal sealed class ElapsedStepReporter(IExecutionReporter inner, TextWriter output, TimeProvider time, bool terminal) : IExecutionReporter
{
    /// <value>5 seconds: shorter steps print as before.</value>
    public static readonly TimeSpan TerminalAfter = TimeSpan.FromSeconds(5);

    /// <value>30 seconds.</value>
    public static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private ITimer? _timer;
    private string _line = "";
    private DateTimeOffset _started;
    private bool _shown;

    public void StepStarted(int index, int count, string description)
    {
        lock (_lock)
        {
            // One step at a time: a step that never reported its end must not keep ticking under the next one's name.
            _timer?.Dispose();
            _line = $"[{index}/{count}] {description} … ";
            _started = time.GetUtcNow();
            _shown = false;
            inner.StepStarted(index, count, description);
            var first = terminal ? TerminalAfter : LogEvery;
            _timer = time.CreateTimer(_ => Tick(), null, first, terminal ? TimeSpan.FromSeconds(1) : LogEvery);
        }
    }

    public void StepFinished(StepOutcome outcome)
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
            if (_shown)
            {
                // The result goes after the step's name again: on the redrawn line, or on a new one under the log lines.
                output.Write(terminal ? $"\r\u001b[K{_line}" : $"\n{_line}");
            }

            inner.StepFinished(outcome);
        }
    }

    private void Tick()
    {
        lock (_lock)
        {
            if (_timer is null)
            {
                return;
            }

            var elapsed = TimeSpan.FromSeconds(Math.Floor((time.GetUtcNow() - _started).TotalSeconds));
            output.Write(terminal ? $"\r\u001b[K{_line}{Durations.Format(elapsed)}" : $"\n  … still running after {Durations.Format(elapsed)}");
            output.Flush();
            _shown = true;
        }
    }
}
