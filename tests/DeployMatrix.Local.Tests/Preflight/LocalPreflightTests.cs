using DeployMatrix.Core;
using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Artifacts;
using DeployMatrix.Local.Platform;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Local.Tests.Preflight;

/// <summary>
/// A deploy's preflight on the local platform, through a real agent (its control API, real processes, real
/// SQLite): `requires` is judged against the matrix's env, and the artifact must be stored, before any revision starts.
/// </summary>
public sealed class LocalPreflightTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly CancellationTokenSource _stop = new();
    private LocalPaths _paths = null!;
    private StateStore _state = null!;
    private AgentClient _client = null!;
    private Task<int> _agent = null!;

    public async Task InitializeAsync()
    {
        _paths = new LocalPaths(Path.Combine(_dir.Path, ".deploymatrix"));
        _agent = AgentServer.RunAsync(_paths, StateLocation.Sqlite(_paths.StateDb), new AgentOptions { ReadinessTimeout = TimeSpan.FromSeconds(10), StopGrace = TimeSpan.FromSeconds(3) }, TimeProvider.System, _stop.Token);
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(20);
        while ((_client = (await AgentClient.ConnectAsync(_paths, CancellationToken.None))!) is null)
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "the agent did not start");
            await Task.Delay(50);
        }

        _state = StateStore.Open(_paths.StateDb, TimeProvider.System);
        var artifact = new ArtifactStore(_paths, _state).Store("control", ExampleBinaries.ControlService);
        _state.BindTag("local", "control", "t1", artifact.Digest, ArtifactStore.ImageName("control", artifact.Digest));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _stop.CancelAsync();
        await _agent;
        _state.Dispose();
        _stop.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task AConditionalRequirementThatIsMissing_StopsTheDeployNamingIt_AndNoRevisionStarts()
    {
        var result = await DeployAsync("OA_AUTH_PROVIDER_MODE: workos", "t1");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Equal("required variable WORKOS_CLIENT_ID (because OA_AUTH_PROVIDER_MODE=workos) is not set; set it in 'env' of lane 'control' (or of its 'staging' target) in the matrix", result.Error);
        Assert.DoesNotContain(result.Steps, s => s.Kind == "deploy-revision");
        Assert.Null(await _client.ServiceAsync("staging", "control", CancellationToken.None));
    }

    [Fact]
    public async Task TheSameVariableAbsent_WithTheConditionOff_DeploysAndServes()
    {
        var result = await DeployAsync("OA_AUTH_PROVIDER_MODE: mock", "t1");

        Assert.True(result.Ok, result.Error);
        Assert.Contains(result.Steps, s => s.Kind == "check-requires" && s.Detail!.Contains("1 not required: condition off", StringComparison.Ordinal));
        var service = await _client.ServiceAsync("staging", "control", CancellationToken.None);
        Assert.Equal(100, Assert.Single(service!.Traffic).Percent);
    }

    [Fact]
    public async Task AnArtifactNotInTheStore_StopsTheDeployAtItsFirstStep_AndNoRevisionStarts()
    {
        var result = await DeployAsync("OA_AUTH_PROVIDER_MODE: mock", "nope999");

        // A tag never built here names nothing: bad input, as an unknown lane (Cloud Run's registry may lack it for a while: exit 1 there).
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Equal("check-image", Assert.Single(result.Steps).Kind);
        Assert.Contains("no local artifact local://control:nope999; build it first: deploymatrix build control --tag nope999", result.Error, StringComparison.Ordinal);
        Assert.Null(await _client.ServiceAsync("staging", "control", CancellationToken.None));
    }

    private async Task<ExecutionResult> DeployAsync(string env, string tag)
    {
        var file = Path.Combine(_dir.Path, "deploymatrix.yaml");
        await File.WriteAllTextAsync(file, $$"""
            matrix: { title: T, status: active, updated: 2026-01-01 }
            environments: [staging]
            lanes:
              control:
                build: { local: { command: cargo build --release, artifact: target/release/control } }
                env: { {{env}} }
                requires:
                  - { name: WORKOS_CLIENT_ID, when: { OA_AUTH_PROVIDER_MODE: workos } }
                targets: { staging: { platform: local, port: {{TestPorts.Free()}} } }
                smoke: [/healthz]
            """);
        var loaded = MatrixLoader.Load(file);
        Assert.True(loaded.Ok, string.Join("\n", loaded.Diagnostics));
        var plan = Planner.Plan(loaded.Matrix!, new PlanRequest { Lane = "control", Environment = "staging", Tag = tag }).Plan!;
        var platform = new LocalPlatform(_paths, _state, new ArtifactStore(_paths, _state), _client, TimeProvider.System, _dir.Path);
        var recorder = new Recorder(_state, new ReceiptWriter(Path.Combine(_paths.Root, "receipts"), TimeProvider.System), "tester");
        return await new PlanExecutor(new PlatformStepRunner(platform), recorder, TimeProvider.System, IExecutionReporter.None).RunAsync(plan, CancellationToken.None);
    }
}
