using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Engine.Waves;

/// <summary>What became of one target (region) of a command over an environment.</summary>
public enum WaveStatus
{
    Succeeded,

    Failed,

    /// <summary>Never touched: a wave before it failed (sequential), or the command was refused first.</summary>
    NotStarted,
}

/// <summary>One target's part in a command over an environment: its wave, how it ended, and what its operation returned.</summary>
/// <param name="Index">The wave's place, from 1, in the environment's order.</param>
/// <param name="Result">What the target's operation returned; default when it failed by exception or never started.</param>
/// <param name="ExitCode">0 when it succeeded; the failure's exit code otherwise (<see cref="ExitCodes"/>).</param>
/// <param name="Error">Why it failed, one line; null otherwise.</param>
public sealed record WaveOutcome<T>(int Index, ResolvedTarget Target, WaveStatus Status, T? Result, int ExitCode, string? Error);

/// <summary>
/// A command over an environment's targets, wave by wave: one wave for an environment with one target (which
/// behaves as it always did), one per region otherwise.
/// </summary>
public sealed record WavesResult<T>(WaveOrder Order, IReadOnlyList<WaveOutcome<T>> Waves)
{
    /// <summary>More than one target: a command shows each wave and ends with <see cref="Summary"/>.</summary>
    public bool Several => Waves.Count > 1;

    /// <summary>The first failed wave's exit code, else 0.</summary>
    public int ExitCode => Waves.FirstOrDefault(w => w.Status == WaveStatus.Failed)?.ExitCode ?? ExitCodes.Ok;

    public bool Ok => ExitCode == ExitCodes.Ok;

    /// <summary>
    /// One line for people: which regions ran and how they ended, and which were never touched — e.g.
    /// <c>production (sequential): us-east1 failed — …; europe-west1 never touched</c>.
    /// </summary>
    public string Summary
    {
        get
        {
            var env = Waves.Count == 0 ? "" : Waves[0].Target.Environment;
            var parts = Waves.Select(w => w.Status switch
            {
                WaveStatus.Succeeded => $"{Name(w.Target)} succeeded",
                WaveStatus.Failed => $"{Name(w.Target)} failed — {w.Error}",
                _ => $"{Name(w.Target)} never touched",
            });
            return $"{env} ({WaveOrders.Name(Order)}, {Waves.Count} regions): {string.Join("; ", parts)}";
        }
    }

    private static string Name(ResolvedTarget target) => target.Region ?? target.Environment;
}

/// <summary>Where a command over an environment reports its waves as they start and end (the CLI prints them; tests collect them).</summary>
public interface IWaveReporter
{
    /// <param name="index">The wave's place, from 1.</param>
    void WaveStarted(int index, int count, ResolvedTarget target, WaveOrder order);

    void WaveEnded(int index, int count, ResolvedTarget target, WaveStatus status, string? error);

    static readonly IWaveReporter None = new NoReporter();

    private sealed class NoReporter : IWaveReporter
    {
        public void WaveStarted(int index, int count, ResolvedTarget target, WaveOrder order)
        {
        }

        public void WaveEnded(int index, int count, ResolvedTarget target, WaveStatus status, string? error)
        {
        }
    }
}
