using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Git;
using DeployMatrix.Engine.Notifications;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Engine.Recording;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Workspaces;

/// <summary>Where a matrix keeps its records beside it (<c>.deploymatrix/</c>): receipts, gate evidence, drill reports.</summary>
public sealed record WorkspacePaths(string Root)
{
    public string Receipts => Path.Combine(Root, "receipts");

    public string Evidence => Path.Combine(Root, "evidence");

    public string Drills => Path.Combine(Root, "drills");

    public string Rehearsals => Path.Combine(Root, "rehearsals");
}

/// <summary>
/// What every engine operation runs with: the matrix, the state store, the platforms, the clock, the
/// recorder and the process runner — built once by the composition root. Operations take the lane lock
/// from here and hold it for everything they do.
/// </summary>
public sealed class Workspace : IDisposable
{
    public required Matrix Matrix { get; init; }

    public required StateStore State { get; init; }

    public required TimeProvider Time { get; init; }

    public required Recorder Recorder { get; init; }

    public required IProcessRunner Processes { get; init; }

    public required IPlatformProvider Platforms { get; init; }

    public required WorkspacePaths Paths { get; init; }

    /// <summary>
    /// Runs a Cloud Run plan through gcloud (the commands <c>plan --format shell</c> prints), handing its
    /// output lines to the sink given (null: none); null where no gcloud executor is wired.
    /// </summary>
    public Func<Action<string>?, IStepRunner>? Gcloud { get; init; }

    /// <summary>Opens the scratch local platforms rehearsals run on; null where none is wired (a rehearsal is then refused).</summary>
    public Rehearsal.IScratchPlatforms? Scratch { get; init; }

    /// <summary>What the workspace disposes with itself (agent connections the composition root opened).</summary>
    public IReadOnlyList<IDisposable> Resources { get; init; } = [];

    /// <summary>Every target runs on this platform instead of the matrix's (<c>--platform</c>); null: as the matrix says.</summary>
    public PlatformKind? PlatformOverride { get; init; }

    /// <value>How long an operation waits for a lane's lock another process holds; the default is 10 seconds.</value>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reads an environment variable (a gate check's bearer token); tests pass their own.</summary>
    public Func<string, string?> Env { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Where events for the matrix's <c>notify:</c> channels go (sent in the background); the default tells no one.</summary>
    public INotificationPublisher Notify { get; init; } = NoNotifications.Instance;

    public string Actor => Recorder.Actor;

    public GitInfo Git => new(Processes);

    public LaneLocks Locks => _locks ??= new LaneLocks(State, Time, LockWait, Actor);

    private LaneLocks? _locks;

    /// <summary>The lane's target in an environment, on the platform this workspace runs on.</summary>
    /// <exception cref="OperationException">No such lane or target (exit 2), or a frozen legacy lane (exit 78).</exception>
    /// <param name="region">One of the environment's regions (<c>--region</c>); required where the lane runs in several there.</param>
    public ResolvedTarget Resolve(string lane, string environment, string? region = null)
    {
        if (Matrix.FindLane(lane) is { Status: LaneStatus.Legacy } legacy)
        {
            throw new OperationException(Core.Planning.Planner.Frozen(Matrix, legacy), ExitCodes.FrozenLegacy);
        }

        var resolved = TargetResolver.Resolve(Matrix, lane, environment, PlatformOverride, region);
        return resolved.Target ?? throw new OperationException(resolved.Error!, resolved.ExitCode);
    }

    /// <summary>
    /// Every target of the lane in an environment, as the waves a command over the environment walks: its one target, or
    /// one per region in the order written (only <paramref name="region"/>'s when given).
    /// </summary>
    /// <exception cref="OperationException">No such lane, target or region (exit 2), or a frozen legacy lane (exit 78).</exception>
    public Core.Resolution.Waves ResolveWaves(string lane, string environment, string? region = null)
    {
        if (Matrix.FindLane(lane) is { Status: LaneStatus.Legacy })
        {
            Resolve(lane, environment); // refused as frozen, with the way past it
        }

        var waves = TargetResolver.ResolveWaves(Matrix, lane, environment, PlatformOverride, region);
        return waves.Error is { } error ? throw new OperationException(error, ExitCodes.BadInput) : waves;
    }

    /// <summary>The recorded stable revision of a target (see <see cref="StableRevision"/>).</summary>
    public string? RecordedStable(ResolvedTarget target) =>
        State.FindStable(PlatformNames.Name(target.Platform), target.ServiceScope, target.Service);

    /// <summary>A change to the target's traffic begins: the revision holding all of it becomes the recorded stable revision.</summary>
    public void ChangeBegins(ResolvedTarget target, IReadOnlyList<TrafficAssignment> before)
    {
        if (StableRevision.ToRecord(before) is { } serving)
        {
            State.RecordStable(PlatformNames.Name(target.Platform), target.ServiceScope, target.Service, serving);
        }
    }

    /// <summary>The stable revision of a service as it stands now.</summary>
    public string? StableOf(ResolvedTarget target, ServiceStatus service) =>
        StableRevision.Of(RecordedStable(target), service.Traffic, service.Revisions);

    public void Dispose()
    {
        foreach (var resource in Resources)
        {
            resource.Dispose();
        }

        State.Dispose();
    }
}
