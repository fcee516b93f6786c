using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Artifacts;
using DeployMatrix.Local.Supervisor;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Local.Tests.Support;

/// <summary>A real agent (real processes, real proxy listeners, real SQLite) in a scratch folder.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    private readonly TempDir _dir = new();

    public AgentHarness(AgentOptions? options = null)
    {
        Paths = new LocalPaths(Path.Combine(_dir.Path, ".deploymatrix"));
        State = StateStore.Open(Paths.StateDb, TimeProvider.System);
        Artifacts = new ArtifactStore(Paths, State);
        Agent = new LocalAgent(Paths, State, TimeProvider.System, options ?? new AgentOptions
        {
            ReadinessTimeout = TimeSpan.FromSeconds(10),
            StopGrace = TimeSpan.FromSeconds(3),
        });
    }

    public LocalPaths Paths { get; }

    public StateStore State { get; }

    public ArtifactStore Artifacts { get; }

    public LocalAgent Agent { get; }

    public string Dir => _dir.Path;

    /// <summary>Deploys the example control service as a new revision of <paramref name="service"/>.</summary>
    public async Task<RevisionView> DeployControlAsync(string service, int listenerPort, Dictionary<string, string>? env = null, string tag = "t1")
    {
        var artifact = Artifacts.Store("control", ExampleBinaries.ControlService);
        var launch = new LaunchSpec
        {
            Executable = artifact.Path,
            Env = env ?? [],
            WorkingDirectory = _dir.Path,
        };
        return await Agent.CreateRevisionAsync(
            new CreateRevisionRequest("control", "staging", service, listenerPort, ArtifactStore.ImageName("control", artifact.Digest), artifact.Digest, tag, launch),
            CancellationToken.None);
    }

    public Task SplitAsync(string service, params (string Revision, int Percent)[] splits) =>
        Agent.SetTrafficAsync("staging", service, [.. splits.Select(s => new TrafficEntry(s.Revision, s.Percent))], CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Agent.DisposeAsync();
        State.Dispose();
        _dir.Dispose();
    }
}
