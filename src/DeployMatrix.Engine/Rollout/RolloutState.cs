using DeployMatrix.Core.Model;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Rollout;

/// <summary>Where a rollout stands. Stored by name (<see cref="RolloutStates.Name(RolloutState)"/>); the engine owns the meaning.</summary>
public enum RolloutState
{
    /// <summary>A process drives it through its stages (or did, and died: see <see cref="Rollout.Interrupted"/>).</summary>
    Running,

    /// <summary>A person paused it, or an inconclusive stage held it by policy; the split stays until resumed.</summary>
    Paused,

    /// <summary>
    /// Stopped by an error (the platform went away, a signal), or by a stage that did not pass when rollback is not
    /// safe (the roll-forward rule); traffic may still be split.
    /// </summary>
    Held,

    /// <summary>The canary took 100% (every stage passed, or a person promoted it).</summary>
    Succeeded,

    /// <summary>A stage failed (or stayed inconclusive under the rollback policy); all traffic went back to stable.</summary>
    Failed,

    /// <summary>A person aborted it; all traffic went back to stable.</summary>
    Aborted,
}

/// <summary>A person's request to a rollout.</summary>
public enum RolloutControl
{
    Pause,
    Abort,
    Promote,
}

/// <summary>What happens to a rollout: the inputs of its state machine.</summary>
public enum RolloutEvent
{
    /// <summary>A stage's analysis passed, or a 0% or 100% stage was set; the next stage follows.</summary>
    StagePassed,

    /// <summary>The last stage passed: the canary holds 100%.</summary>
    Completed,

    /// <summary>A stage's analysis failed (5xx, latency, the error-count test).</summary>
    StageFailed,

    /// <summary>A stage stayed inconclusive after its extensions; the lane's on-inconclusive policy decides.</summary>
    StageInconclusive,

    Pause,
    Resume,
    Abort,
    Promote,

    /// <summary>The platform failed under it, or a signal stopped its process.</summary>
    Interrupted,
}

/// <summary>A transition the state machine does not have (e.g. resuming a finished rollout).</summary>
public sealed class InvalidRolloutTransition(RolloutState from, RolloutEvent happened)
    : InvalidOperationException($"a {RolloutStates.Name(from)} rollout cannot {happened.ToString().ToLowerInvariant()}")
{
    public RolloutState From { get; } = from;

    public RolloutEvent Event { get; } = happened;
}

/// <summary>
/// The rollout state machine: every transition in one place (as Polly's circuit breaker controller owns
/// its <c>CircuitState</c>), so the runner, the control commands and the tests agree on what can follow what.
/// </summary>
public static class RolloutStates
{
    private static readonly Dictionary<RolloutState, string> Names = new()
    {
        [RolloutState.Running] = "running",
        [RolloutState.Paused] = "paused",
        [RolloutState.Held] = "held",
        [RolloutState.Succeeded] = "succeeded",
        [RolloutState.Failed] = "failed",
        [RolloutState.Aborted] = "aborted",
    };

    public static string Name(RolloutState state) => Names[state];

    /// <exception cref="ArgumentException">Not a rollout state's name.</exception>
    public static RolloutState Parse(string name) =>
        Names.FirstOrDefault(p => p.Value == name) is { Value: not null } found ? found.Key : throw new ArgumentException($"unknown rollout state '{name}'", nameof(name));

    public static string Name(RolloutControl control) => control.ToString().ToLowerInvariant();

    public static RolloutControl ParseControl(string name) => Enum.Parse<RolloutControl>(name, ignoreCase: true);

    /// <summary>Ended for good: nothing can resume it, and a new rollout may start.</summary>
    public static bool IsFinished(RolloutState state) => state is RolloutState.Succeeded or RolloutState.Failed or RolloutState.Aborted;

    /// <summary>The state after <paramref name="happened"/>.</summary>
    /// <param name="onInconclusive">The lane's policy for a stage that stays inconclusive: never a pass.</param>
    /// <param name="rollbackSafe">
    /// False when the stable release is not known to serve the canary's migrated schema (its rehearsal found
    /// <c>rollback_safe: false</c>): a stage that would roll back is held instead (the roll-forward rule).
    /// </param>
    /// <exception cref="InvalidRolloutTransition">The event cannot happen in that state.</exception>
    public static RolloutState Next(RolloutState from, RolloutEvent happened, InconclusiveAction onInconclusive = InconclusiveAction.Rollback, bool rollbackSafe = true) => (from, happened) switch
    {
        (RolloutState.Running, RolloutEvent.StagePassed) => RolloutState.Running,
        (RolloutState.Running, RolloutEvent.Completed) => RolloutState.Succeeded,
        (RolloutState.Running, RolloutEvent.StageFailed) => rollbackSafe ? RolloutState.Failed : RolloutState.Held,
        (RolloutState.Running, RolloutEvent.StageInconclusive) => onInconclusive == InconclusiveAction.Hold ? RolloutState.Paused
            : rollbackSafe ? RolloutState.Failed : RolloutState.Held,
        (RolloutState.Running, RolloutEvent.Interrupted) => RolloutState.Held,
        (RolloutState.Running or RolloutState.Paused or RolloutState.Held, RolloutEvent.Pause) => RolloutState.Paused,
        (RolloutState.Running or RolloutState.Paused or RolloutState.Held, RolloutEvent.Abort) => RolloutState.Aborted,
        (RolloutState.Running or RolloutState.Paused or RolloutState.Held, RolloutEvent.Promote) => RolloutState.Succeeded,
        // Running here is an interrupted rollout: its process died without a word.
        (RolloutState.Running or RolloutState.Paused or RolloutState.Held, RolloutEvent.Resume) => RolloutState.Running,
        _ => throw new InvalidRolloutTransition(from, happened),
    };

    public static RolloutEvent EventOf(RolloutControl control) => control switch
    {
        RolloutControl.Pause => RolloutEvent.Pause,
        RolloutControl.Abort => RolloutEvent.Abort,
        _ => RolloutEvent.Promote,
    };
}

/// <summary>
/// A rollout as the engine reads it from its stored row: its state, and whether a live process drives it
/// (<see cref="DrivenElsewhere"/>) or its driver died (<see cref="Interrupted"/>).
/// </summary>
public sealed record Rollout(RolloutRecord Row, RolloutState State, bool OwnerAlive, bool OwnedHere)
{
    public long Id => Row.Id;

    public string Lane => Row.Lane;

    public string Env => Row.Env;

    public string Stable => Row.Stable;

    public string Canary => Row.Canary;

    public int Stage => Row.Stage;

    public int StageIndex => Row.StageIndex;

    public IReadOnlyList<int> Stages => Row.Stages;

    public string? Reason => Row.Reason;

    public TimeSpan Window => TimeSpan.FromMilliseconds(Row.WindowMs);

    /// <summary>Running by the record, but the process that drove it is gone (killed, crashed).</summary>
    public bool Interrupted => State == RolloutState.Running && !OwnerAlive;

    /// <summary>Running, driven by another live process: requests go to it.</summary>
    public bool DrivenElsewhere => State == RolloutState.Running && OwnerAlive && !OwnedHere;

    public bool Finished => RolloutStates.IsFinished(State);

    /// <summary>The state as people read it: "interrupted" for a running rollout whose driver died.</summary>
    public string Shown => Interrupted ? "interrupted" : RolloutStates.Name(State);

    /// <param name="owner">The process reading it: its own rollouts are not driven elsewhere.</param>
    public static Rollout From(RolloutRecord row, StoreOwner owner) =>
        new(row, RolloutStates.Parse(row.Status), row.OwnerPid is { } pid && owner.IsAlive(pid), row.OwnerPid == owner.Pid);
}
