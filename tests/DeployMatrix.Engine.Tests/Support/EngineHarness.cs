using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.Engine.Workspaces;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Engine.Tests.Support;

/// <summary>
/// An engine workspace for unit tests: a small matrix, a real SQLite state store in a scratch folder, the
/// in-memory <see cref="TestPlatform"/> behind the platform port, and a fake clock the test moves.
/// </summary>
public sealed class EngineHarness : IDisposable
{
    public const string Matrix = """
        version: 1
        matrix: { title: Engine tests, status: active, updated: 2026-01-01 }
        defaults:
          platform: local
          rollout:
            stages: [0, 5, 25, 50, 100]
            window: 10s
            gates: { max-5xx-rate: 1%, max-p95-regression: 20%, min-requests: 100 }
            max-extensions: 2
        environments:
          staging:
          production: { no-traffic: true }
        lanes:
          api:
            build: { local: { command: "true", artifact: api } }
            migration: { job: api-migrate, mandatory: true, command: migrate }
            targets:
              staging: { service: api-staging, job: api-migrate-staging }
              production: { service: api }
            smoke: [/healthz]
          web:
            build: { local: { command: "true", artifact: web } }
            targets:
              staging: { service: web-staging }
              production: { service: web }
          old:
            status: legacy
            description: the old checkout
        gate:
          from: staging
          to: production
          checks:
            - { id: web-health, http: { lane: web, env: staging, path: /healthz } }
        """;

    private readonly TempDir _dir = new();
    private readonly List<Workspace> _workspaces = [];

    private readonly Func<string, string?> _env;

    public EngineHarness(string? matrix = null, Action<TestPlatform>? setUp = null, Func<string, string?>? env = null)
    {
        _env = env ?? (_ => null);
        var file = _dir.Write("deploymatrix.yaml", matrix ?? Matrix);
        var loaded = MatrixLoader.Load(file);
        Assert.True(loaded.Ok, string.Join("\n", loaded.Diagnostics));
        LoadedMatrix = loaded.Matrix!;
        Platform = new TestPlatform(Time);
        foreach (var lane in new[] { "api", "web" })
        {
            foreach (var tag in new[] { "t1", "t2", "t3" })
            {
                Platform.Images[$"local://{lane}:{tag}"] = $"local://{lane}@sha256:{lane}-{tag}";
            }
        }

        setUp?.Invoke(Platform);
        Workspace = Open();
        // Built, as far as the engine can tell: each of those tags is bound to its content.
        foreach (var (tagged, image) in Platform.Images)
        {
            var at = tagged.LastIndexOf(':');
            State.BindTag("local", tagged["local://".Length..at], tagged[(at + 1)..], TestPlatform.DigestOf(image), image);
        }
    }

    public SteppedClock Time { get; } = new(DateTimeOffset.Parse("2026-11-30T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public Core.Model.Matrix LoadedMatrix { get; }

    public TestPlatform Platform { get; }

    public Workspace Workspace { get; }

    public string Dir => _dir.Path;

    public StateStore State => Workspace.State;

    public RecordingReporter Reporter { get; } = new();

    /// <summary>
    /// A built release serving <paramref name="service"/>: <paramref name="tag"/> of <paramref name="lane"/> bound to
    /// <c>local://LANE@sha256:LANE-TAG</c>, resolvable, and a new revision of it taking all traffic.
    /// </summary>
    /// <returns>The revision.</returns>
    public string Release(string service, string lane, string tag)
    {
        var image = $"local://{lane}@sha256:{lane}-{tag}";
        State.BindTag("local", lane, tag, $"sha256:{lane}-{tag}", image);
        Platform.Images[$"local://{lane}:{tag}"] = image;
        return Platform.Seed(service, image, tag);
    }

    /// <summary>False: opening the platform fails as a local agent that is not running does.</summary>
    public bool PlatformReachable { get; set; } = true;

    /// <summary>A workspace on the same state, as another command would open it; with <paramref name="owner"/>, as another process.</summary>
    /// <param name="platform">As <c>--platform</c>: every target on this platform.</param>
    /// <param name="gcloud">The gcloud executor the workspace runs <c>--executor gcloud</c> with.</param>
    /// <param name="notify">Where the workspace's operations publish notifications (default: nowhere).</param>
    public Workspace Open(StoreOwner? owner = null, TimeSpan? lockWait = null, PlatformKind? platform = null, Func<Action<string>?, IStepRunner>? gcloud = null, Engine.Notifications.INotificationPublisher? notify = null)
    {
        var state = StateStore.Open(Path.Combine(_dir.Path, ".deploymatrix", "state.db"), Time, owner);
        var workspace = new Workspace
        {
            Matrix = LoadedMatrix,
            State = state,
            Time = Time,
            Recorder = new Recorder(state, new ReceiptWriter(Path.Combine(_dir.Path, ".deploymatrix", "receipts"), Time), "tester"),
            Processes = new ProcessRunner(Time),
            Platforms = new Provider(this),
            Paths = new WorkspacePaths(Path.Combine(_dir.Path, ".deploymatrix")),
            LockWait = lockWait ?? TimeSpan.FromSeconds(10),
            Env = _env,
            PlatformOverride = platform,
            Gcloud = gcloud,
            Notify = notify ?? Engine.Notifications.NoNotifications.Instance,
        };
        _workspaces.Add(workspace);
        return workspace;
    }

    /// <summary>
    /// Moves the fake clock in steps, only while the engine waits on it (<see cref="SteppedClock.Waited"/>), giving
    /// it real time to act between them, until <paramref name="task"/> ends (bounded).
    /// </summary>
    public Task<T> RunAsync<T>(Task<T> task, TimeSpan? step = null, Func<bool>? pauseWhen = null) =>
        Time.RunAsync(task, step ?? TimeSpan.FromMilliseconds(200), pauseWhen);

    /// <summary>Moves the clock, only while the engine waits on it, until <paramref name="done"/> holds (bounded), while <paramref name="running"/> goes on.</summary>
    public async Task AdvanceUntilAsync(Func<bool> done, Task running, TimeSpan? step = null)
    {
        for (var i = 0; i < 20_000 && !done(); i++)
        {
            Assert.False(running.IsFaulted, running.Exception?.ToString());
            if (Time.Waited)
            {
                Time.Advance(step ?? TimeSpan.FromMilliseconds(200));
            }

            await Task.WhenAny(running, Task.Delay(2));
        }

        Assert.True(done(), "the condition never held");
    }

    public void Dispose()
    {
        foreach (var workspace in _workspaces)
        {
            workspace.Dispose();
        }

        _dir.Dispose();
    }

    private sealed class Provider(EngineHarness harness) : IPlatformProvider
    {
        public Task<IPlatform> OpenAsync(PlatformKind kind, CancellationToken cancellationToken) => harness.PlatformReachable
            ? Task.FromResult<IPlatform>(harness.Platform)
            : throw new PlatformException("the local agent is not running; start it with: deploymatrix agent start");

        public Task<IImageBuilder> BuilderAsync(PlatformKind kind, CancellationToken cancellationToken) => Task.FromResult<IImageBuilder>(new TestBuilder(harness.Platform));
    }

    /// <summary>A build that stores the image under its tag, as the local artifact store does; the tag "broken" fails.</summary>
    private sealed class TestBuilder(TestPlatform platform) : IImageBuilder
    {
        public Task<BuildOutcome> BuildAsync(Core.Planning.Step step, Action<string> say, CancellationToken cancellationToken)
        {
            var build = (Core.Planning.BuildArtifact)step;
            if (build.Tag == "broken")
            {
                say("compiling … error");
                throw new PlatformException($"the build of {build.Lane} failed (exit 101); log: build-broken.log", 101);
            }

            var image = $"local://{build.Lane}@sha256:{platform.BuildsAs.GetValueOrDefault(build.Tag, $"built-{build.Tag}")}";
            platform.Images[$"local://{build.Lane}:{build.Tag}"] = image;
            say($"built {image}");
            return Task.FromResult(new BuildOutcome(image, new Dictionary<string, string?> { ["log"] = $"build-{build.Tag}.log" }) { Digest = TestPlatform.DigestOf(image) });
        }
    }
}

/// <summary>Collects what an operation reports (steps, rollout stage lines), for assertions.</summary>
public sealed class RecordingReporter : IExecutionReporter, IRolloutReporter
{
    public List<string> Lines { get; } = [];

    public List<RolloutProgress> Progress { get; } = [];

    public void StepStarted(int index, int count, string description)
    {
        lock (Lines)
        {
            Lines.Add($"[{index}/{count}] {description}");
        }
    }

    public void StepFinished(StepOutcome outcome)
    {
        lock (Lines)
        {
            Lines.Add($"{(outcome.Ok ? "ok" : "FAILED")} {outcome.Detail}");
        }
    }

    public void Stage(int percent, string message)
    {
        lock (Lines)
        {
            Lines.Add($"[{percent}%] {message}");
        }
    }

    void IRolloutReporter.Progress(RolloutProgress progress)
    {
        lock (Progress)
        {
            Progress.Add(progress);
        }
    }
}
