using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Waves;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>
/// <c>deploy</c>: a new revision of the lane's image, verified, migrated and drift-checked when the lane's
/// migration is mandatory, smoke-checked, then given all traffic — except where the environment deploys
/// with no traffic. The gate's target environment takes only tags that passed the gate.
/// </summary>
public sealed class DeployOperation(Workspace ws)
{
    /// <param name="tag">The image tag; null: the default tag (the short SHA of HEAD, <c>SHA-dirty-TREE</c> on a dirty tree).</param>
    /// <exception cref="OperationException">Bad input (2), a frozen lane (78), maintenance or an ungated tag (1).</exception>
    public async Task<ExecutionResult> RunAsync(string lane, string env, string? tag, bool noTraffic, ChangeOptions options, IExecutionReporter reporter, CancellationToken ct)
    {
        tag ??= await ws.Git.DefaultTagAsync(ws.Matrix.BaseDirectory, refuseDirty: false, ct);
        return await PlanRun.RunAsync(ws, new PlanRequest { Lane = lane, Environment = env, Tag = tag, Action = PlanAction.Deploy, NoTraffic = noTraffic }, options, reporter, ct);
    }

    /// <summary>The deploy in every region of the environment (or <paramref name="region"/>'s), as waves in its order.</summary>
    /// <exception cref="OperationException">Bad input for any region (2, nothing changed); with one target, as <see cref="RunAsync"/>.</exception>
    public async Task<WavesResult<ExecutionResult>> RunWavesAsync(string lane, string env, string? region, string? tag, bool noTraffic, ChangeOptions options, IExecutionReporter reporter, IWaveReporter waves, CancellationToken ct)
    {
        tag ??= await ws.Git.DefaultTagAsync(ws.Matrix.BaseDirectory, refuseDirty: false, ct);
        return await PlanRun.RunWavesAsync(ws, new PlanRequest { Lane = lane, Environment = env, Region = region, Tag = tag, Action = PlanAction.Deploy, NoTraffic = noTraffic }, options, reporter, waves, ct);
    }
}

/// <summary><c>traffic</c>: the whole split at once (integer percents summing to 100; LATEST is the latest ready revision).</summary>
public sealed class TrafficOperation(Workspace ws)
{
    public Task<ExecutionResult> RunAsync(string lane, string env, IReadOnlyList<(string Revision, int Percent)> splits, ChangeOptions options, IExecutionReporter reporter, CancellationToken ct) =>
        PlanRun.RunAsync(ws, new PlanRequest { Lane = lane, Environment = env, Action = PlanAction.SetTraffic, Splits = splits }, options, reporter, ct);

    /// <summary>The split in every region of the environment (or <paramref name="region"/>'s): revisions are a region's own, so the names must be of each.</summary>
    public Task<WavesResult<ExecutionResult>> RunWavesAsync(string lane, string env, string? region, IReadOnlyList<(string Revision, int Percent)> splits, ChangeOptions options, IExecutionReporter reporter, IWaveReporter waves, CancellationToken ct) =>
        PlanRun.RunWavesAsync(ws, new PlanRequest { Lane = lane, Environment = env, Region = region, Action = PlanAction.SetTraffic, Splits = splits }, options, reporter, waves, ct);
}

/// <summary><c>rollback</c>: all traffic to the stable revision (see <see cref="Platform.StableRevision"/>), or to a named one.</summary>
public sealed class RollbackOperation(Workspace ws)
{
    public Task<ExecutionResult> RunAsync(string lane, string env, string? to, ChangeOptions options, IExecutionReporter reporter, CancellationToken ct) =>
        PlanRun.RunAsync(ws, new PlanRequest { Lane = lane, Environment = env, Action = PlanAction.Rollback, Stable = to }, options, reporter, ct);

    /// <summary>The rollback in every region of the environment (or <paramref name="region"/>'s), each to its own stable revision.</summary>
    public Task<WavesResult<ExecutionResult>> RunWavesAsync(string lane, string env, string? region, string? to, ChangeOptions options, IExecutionReporter reporter, IWaveReporter waves, CancellationToken ct) =>
        PlanRun.RunWavesAsync(ws, new PlanRequest { Lane = lane, Environment = env, Region = region, Action = PlanAction.Rollback, Stable = to }, options, reporter, waves, ct);

    /// <summary>
    /// The stable revision this folder's state records for the lane's target — where a rollback run from
    /// here would go — so a plan printed for elsewhere (<c>plan --format shell</c>) can name it; null when
    /// none is recorded.
    /// </summary>
    /// <exception cref="OperationException">No such lane or target (exit 2), or a frozen legacy lane (exit 78).</exception>
    public string? RecordedTarget(string lane, string env, string? region = null) => ws.RecordedStable(ws.Resolve(lane, env, region));
}

/// <summary><c>migrate</c>: the migration job pointed at an image (default: the service's current one, the rerun helper), run once, then the drift check.</summary>
public sealed class MigrateOperation(Workspace ws)
{
    public Task<ExecutionResult> RunAsync(string lane, string env, string? tag, ChangeOptions options, IExecutionReporter reporter, CancellationToken ct) =>
        PlanRun.RunAsync(ws, new PlanRequest { Lane = lane, Environment = env, Tag = tag, Action = PlanAction.Migrate }, options, reporter, ct);

    /// <summary>The migration in every region of the environment (or <paramref name="region"/>'s), each region's job with its service's image.</summary>
    public Task<WavesResult<ExecutionResult>> RunWavesAsync(string lane, string env, string? region, string? tag, ChangeOptions options, IExecutionReporter reporter, IWaveReporter waves, CancellationToken ct) =>
        PlanRun.RunWavesAsync(ws, new PlanRequest { Lane = lane, Environment = env, Region = region, Tag = tag, Action = PlanAction.Migrate }, options, reporter, waves, ct);
}
