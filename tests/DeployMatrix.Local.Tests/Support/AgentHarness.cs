using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Artifacts;
using DeployMatrix.Local.Proxy;
using DeployMatrix.Local.Supervisor;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Local.Tests.Support;

/// <summary>A real agent (real processes, real proxy listeners, real SQLite) in a scratch folder.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    private readonly TempDir _dir = new();

    /// <param name="time">The agent's clock (its drains, request timeouts and readiness waits); the default is the system's.</param>
    public AgentHarness(AgentOptions? options = null, TimeProvider? time = null)
    {
        Paths = new LocalPaths(Path.Combine(_dir.Path, ".deploymatrix"));
        State = StateStore.Open(Paths.StateDb, TimeProvider.System);
        Artifacts = new ArtifactStore(Paths, State);
        Agent = new LocalAgent(Paths, State, time ?? TimeProvider.System, options ?? new AgentOptions
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
    /// <param name="requestTimeout">The lane's request timeout (default 300 s).</param>
    /// <param name="listener">What the service's listener accepts (default: the defaults).</param>
    public async Task<RevisionView> DeployControlAsync(string service, int listenerPort, Dictionary<string, string>? env = null, string tag = "t1", TimeSpan? requestTimeout = null, ListenerSettings? listener = null)
    {
        var artifact = Artifacts.Store("control", ExampleBinaries.ControlService);
        var launch = new LaunchSpec
        {
            Executable = artifact.Path,
            Env = env ?? [],
            WorkingDirectory = _dir.Path,
            RequestTimeout = requestTimeout ?? Core.Model.ServingPolicy.Default.RequestTimeout,
        };
        return await Agent.CreateRevisionAsync(
            new CreateRevisionRequest("control", "staging", service, listenerPort, ArtifactStore.ImageName("control", artifact.Digest), artifact.Digest, tag, launch, listener),
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
