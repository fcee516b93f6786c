using DeployMatrix.Core.Diagnostics;

namespace DeployMatrix.Core.Model;

/// <summary>
/// A lane's <c>verify</c> checks for one environment: what must pass before a deploy there changes anything
/// (the seed's production deploy runs the control service's tests, a wasm build check, a service-worker policy
/// check and the perf-budget gate first). The checks are gate checks (<see cref="GateCheck"/>: the same kinds,
/// run by the same runners); a check the gate defines may be named by its id. A failed or skipped required check
/// stops the deploy; only <c>deploy --skip-verify --reason</c> passes them, and that is audited.
/// </summary>
public sealed record VerifyConfig
{
    public required string Environment { get; init; }

    /// <summary>The checks, in the order they run (one after another, each bounded).</summary>
    public IReadOnlyList<GateCheck> Checks { get; init; } = [];

    /// <summary>Where the environment's key is written under <c>verify</c>.</summary>
    public SourcePos Pos { get; init; }
}
