using DeployMatrix.Core;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Engine.Rollout;

/// <summary>What to roll out: a canary revision against the stable one, by a policy (the target's, unless given).</summary>
public sealed record RolloutRequest(ResolvedTarget Target, string Stable, string Canary)
{
    /// <value>The default is the target's rollout policy.</value>
    public RolloutPolicy Policy { get; init; } = Target.Rollout;

    /// <value>The default is the policy's window; a command's <c>--window</c> or a test passes another.</value>
    public TimeSpan? Window { get; init; }

    /// <summary>
    /// Why the stable release is not known to serve the canary's migrated schema (its rehearsal found
    /// <c>rollback_safe: false</c>), or null. Then a failed stage holds the split for a person instead of rolling back
    /// (the roll-forward rule): moving users back to a release that cannot serve the schema would fail them all.
    /// </summary>
    public string? RollbackUnsafe { get; init; }

    /// <summary>The canary's tag, for the receipt.</summary>
    public string? Tag { get; init; }

    /// <summary>The canary's content digest (<c>sha256:…</c>) where the platform reports it, for the receipt.</summary>
    public string? Digest { get; init; }

    /// <summary>
    /// The traffic tag the 0% stage's split gives a canary that has none (a Cloud Run revision deployed outside
    /// DeployMatrix), so the stage's checks reach it on its own URL (<see cref="CanaryTag"/>); null: it has one.
    /// </summary>
    public string? CanaryTrafficTag { get; init; }

    /// <summary>
    /// More checks of the canary alone at the 0% stage, after the lane's smoke checks (the gate's <c>http</c>
    /// checks of the lane with <c>rollout.gate-checks</c>, see <see cref="Gate.CanaryGateChecks"/>): given the canary,
    /// returns why it failed them, or null. Null: none.
    /// </summary>
    public Func<string, CancellationToken, Task<string?>>? CanaryChecks { get; init; }
}

/// <summary>A person's request, with who asked and why.</summary>
public sealed record RolloutControlRequest(RolloutControl Control, string Actor, string? Reason);

public sealed record StageOutcome(int Percent, Verdict Verdict, string Explanation);

/// <summary>How this process's run of a rollout ended.</summary>
public enum RolloutEnd
{
    Succeeded,

    /// <summary>A stage failed (or stayed inconclusive) and all traffic went back to stable.</summary>
    Failed,

    /// <summary>A person aborted it; all traffic went back to stable.</summary>
    Aborted,

    /// <summary>A person paused it, or an inconclusive stage held it; the split stays until resumed.</summary>
    Paused,

    /// <summary>A stage did not pass and rollback is not safe (the roll-forward rule): the split stays for a person.</summary>
    Held,
}

/// <summary>How a rollout run ended, why, and where its receipt is (none while paused).</summary>
public sealed record RolloutOutcome(long Id, RolloutEnd End, string? Reason, IReadOnlyList<StageOutcome> Stages, string? Receipt)
{
    public bool Succeeded => End == RolloutEnd.Succeeded;

    /// <summary>Only a rollout that reached 100% is a success; paused or aborted ones are not done.</summary>
    public int ExitCode => Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
}

/// <summary>Where a running rollout stands, for a live view: the window's figures so far per revision.</summary>
public sealed record RolloutProgress(long Id, int Percent, int StageIndex, IReadOnlyList<int> Stages, string Stable, string Canary,
    RevisionSample? StableSample, RevisionSample? CanarySample, TimeSpan? TimeLeft);

public interface IRolloutReporter
{
    /// <summary>A line worth keeping: a stage's traffic set, verdict, extension or end.</summary>
    void Stage(int percent, string message);

    /// <summary>Figures that change while a window runs; a live view redraws, a log may ignore them.</summary>
    void Progress(RolloutProgress progress)
    {
    }
}
