using DeployMatrix.Engine.Drill;

namespace DeployMatrix.Engine.Rehearsal;

/// <summary>A release a rehearsal runs: its tag, content digest (<c>sha256:…</c>) and, once started, its scratch revision.</summary>
public sealed record RehearsalRelease(string Tag, string Digest)
{
    public string? Revision { get; init; }
}

/// <summary>One phase of a rehearsal as <c>rehearsal.json</c> records it.</summary>
/// <param name="Verdict"><c>pass</c>, <c>fail</c>, or <c>skip</c> (not run: an earlier phase left nothing to run it on).</param>
/// <param name="Evidence">What the phase saw, line by line (requests and answers, the migration's output, traffic).</param>
/// <param name="StartedAt">ISO 8601 UTC.</param>
/// <param name="Log">Its log, relative to the report's folder (<c>logs/ID.log</c>).</param>
public sealed record RehearsalPhase(string Id, string Description, string Verdict, string Reason, IReadOnlyList<string> Evidence, string StartedAt, string EndedAt, string Log)
{
    public bool Passed => Verdict == "pass";
}

/// <summary>A finished rehearsal: its phases in order, and whether the stable release can serve the candidate's schema.</summary>
/// <param name="RollbackSafe">
/// The stable release passed its smoke checks on the schema the candidate migrated to (the N-1 check) and again after
/// the rollback; false when either failed or could not run.
/// </param>
/// <param name="Why">The reason for <paramref name="RollbackSafe"/>, in one sentence.</param>
/// <param name="Rollout">The candidate's staged rollout and rollback (their traffic and metrics, for the timeline); null when it did not run.</param>
public sealed record RehearsalResult(string Lane, string Against, string Service, RehearsalRelease Stable, RehearsalRelease Candidate,
    IReadOnlyList<RehearsalPhase> Phases, bool RollbackSafe, string Why, DrillResult? Rollout)
{
    public bool Passed => Phases.All(p => p.Passed);

    /// <summary>The generated load's requests per second during the rollout.</summary>
    public int LoadPerSecond { get; init; }
}

/// <summary>How a rehearsal's rollout runs.</summary>
public sealed record RehearsalSettings
{
    /// <value>The default is 50 requests per second: enough for every stage's share to see requests, paced so the machine stays unsaturated.</value>
    public int LoadPerSecond { get; init; } = 50;

    /// <value>The default is 3 seconds at each stage of the lane's rollout.</value>
    public TimeSpan Dwell { get; init; } = TimeSpan.FromSeconds(3);
}
