using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.State;

namespace RolloutBench.Simulation;

/// <summary>
/// The real rollout runner, state store and recorder in a scratch folder, on a <see cref="BenchClock"/>, rolling a
/// canary out on a <see cref="SimulatedPlatform"/>: stages 0, 5, 25, 50, 100 with the given window and gates.
/// </summary>
internal sealed class Rig : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("dm-rollout-sim-");
    private readonly ResolvedTarget _target;
    private readonly StateStore _state;
    private readonly Recorder _recorder;

    /// <param name="gates">The rollout's <c>gates</c> mapping as the matrix writes it.</param>
    public Rig(string gates, int windowSeconds)
    {
        var text = $$"""
            version: 1
            matrix: { title: Simulated rollouts, status: active, updated: 2026-01-01 }
            defaults:
              platform: local
              rollout: { stages: [0, 5, 25, 50, 100], window: {{windowSeconds}}s, gates: {{gates}} }
            environments: [staging]
            lanes:
              web:
                build: { local: { command: "true", artifact: web } }
                targets: { staging: { service: web-staging } }
            """;
        var loaded = MatrixLoader.Parse("simulated.yaml", text);
        var matrix = loaded.Matrix ?? throw new InvalidOperationException(string.Join('\n', loaded.Diagnostics));
        var lane = matrix.FindLane("web")!;
        _target = TargetResolver.Resolve(matrix, lane, lane.FindTarget("staging")!);
        _state = StateStore.Open(Path.Combine(_dir.FullName, "state.db"), Clock);
        _recorder = new Recorder(_state, new ReceiptWriter(Path.Combine(_dir.FullName, "receipts"), Clock), "bench");
    }

    public BenchClock Clock { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    public RolloutGates Gates => _target.Rollout.Gates;

    /// <summary>A platform whose stable revision serves everything and whose canary is ready with none.</summary>
    public SimulatedPlatform Platform(int seed, double perSecond, Behaviour stable, Behaviour canary)
    {
        var platform = new SimulatedPlatform(Clock, seed, perSecond, new Dictionary<string, Behaviour> { ["stable"] = stable, ["canary"] = canary });
        platform.SetTrafficAsync(_target, [new("stable", 100)], CancellationToken.None);
        return platform;
    }

    /// <summary>One rollout from stable to canary, as <c>rollout</c> runs it, with the clock moving while it waits.</summary>
    public Task<RolloutOutcome> RollOutAsync(SimulatedPlatform platform) =>
        Clock.RunAsync(new RolloutRunner(platform, _state, _recorder, Clock, new Silent()).StartAsync(new RolloutRequest(_target, "stable", "canary"), CancellationToken.None));

    public void Dispose()
    {
        _state.Dispose();
        _dir.Delete(recursive: true);
        Clock.Dispose();
    }

    private sealed class Silent : IRolloutReporter
    {
        public void Stage(int percent, string message)
        {
        }
    }
}
