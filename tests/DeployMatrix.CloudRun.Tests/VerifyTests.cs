using DeployMatrix.CloudRun.Tests.Support;
using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Workspaces;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.CloudRun.Tests;

/// <summary>A lane's verify checks on Cloud Run, through the engine against the double: a failure stops the deploy before any write to the Admin API.</summary>
public sealed class VerifyTests : IAsyncLifetime
{
    private const string Service = "projects/openagentsgemini/locations/us-central1/services/api";

    private const string Matrix = """
        version: 1
        matrix: { title: Verify on Cloud Run, status: active, updated: 2026-01-01 }
        defaults: { platform: cloudrun, project: openagentsgemini, region: us-central1 }
        environments: [staging, production]
        lanes:
          api:
            image: us-central1-docker.pkg.dev/openagentsgemini/api/api:<TAG>
            build: { cloudbuild: cloudbuild.yaml }
            targets:
              production: { service: api, traffic: immediate }
            smoke: [/healthz]
            verify:
              production:
                - { id: unit-tests, command: { run: sh tests.sh, timeout: 30s } }
        """;

    private const string CloudBuild = """
        steps:
          - name: gcr.io/cloud-builders/docker
            args: [build, -t, "us-central1-docker.pkg.dev/$PROJECT_ID/api/api:$_TAG", .]
        images: ["us-central1-docker.pkg.dev/$PROJECT_ID/api/api:$_TAG"]
        """;

    private readonly TempDir _dir = new();
    private DoubleConnection _connection = null!;
    private Workspace _ws = null!;

    public async Task InitializeAsync()
    {
        _connection = await DoubleConnection.StartAsync();
        _connection.Fake.AddService("openagentsgemini", "us-central1", "api", "us-central1-docker.pkg.dev/openagentsgemini/api/api:old0000");
        _dir.Write("cloudbuild.yaml", CloudBuild);
        var loaded = MatrixLoader.Load(_dir.Write("deploymatrix.yaml", Matrix));
        Assert.True(loaded.Ok, string.Join("\n", loaded.Diagnostics));
        var state = StateStore.Open(Path.Combine(_dir.Path, ".deploymatrix", "state.db"), TimeProvider.System);
        _ws = new Workspace
        {
            Matrix = loaded.Matrix!,
            State = state,
            Time = TimeProvider.System,
            Recorder = new Recorder(state, new ReceiptWriter(Path.Combine(_dir.Path, ".deploymatrix", "receipts"), TimeProvider.System), "tester"),
            Processes = new ProcessRunner(TimeProvider.System),
            Platforms = new Provider(_connection.Platform),
            Paths = new WorkspacePaths(Path.Combine(_dir.Path, ".deploymatrix")),
        };
    }

    public async Task DisposeAsync()
    {
        _ws.Dispose();
        await _connection.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task FailingVerify_StopsTheDeploy_BeforeAnyWriteToTheAdminApi()
    {
        _dir.Write("tests.sh", "echo 'test api::routes ... FAILED'\nexit 101\n");
        var before = _connection.Fake.Service(Service).ToJsonString();

        var result = await new DeployOperation(_ws).RunAsync("api", "production", "aaa1111", noTraffic: false, new ChangeOptions(), IExecutionReporter.None, CancellationToken.None);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("verify unit-tests failed: 'sh tests.sh' exited with 101", result.Error, StringComparison.Ordinal);
        Assert.Contains("  |   test api::routes ... FAILED", result.Steps[^1].Detail, StringComparison.Ordinal);
        // Only the preflight's reads ran before it (testIamPermissions is a POST that changes nothing).
        Assert.DoesNotContain(_connection.Fake.Calls, c => !c.StartsWith("GET ", StringComparison.Ordinal) && !c.EndsWith(":testIamPermissions", StringComparison.Ordinal));
        Assert.Equal(before, _connection.Fake.Service(Service).ToJsonString());
        Assert.Null(result.ReceiptPath);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, ".deploymatrix", "receipts")));
    }

    [Fact]
    public async Task PassingVerify_LetsTheDeployWrite_AndItsReceiptSaysSo()
    {
        _dir.Write("tests.sh", "echo 'test result: ok. 3 passed'\n");

        var result = await new DeployOperation(_ws).RunAsync("api", "production", "aaa1111", noTraffic: false, new ChangeOptions(), IExecutionReporter.None, CancellationToken.None);

        Assert.True(result.Ok, result.Error);
        Assert.Contains(_connection.Fake.Calls, c => c == $"PATCH /v2/{Service}");
        Assert.Equal("passed", result.Facts["verify"]);
        Assert.Equal("unit-tests=passed", result.Facts["verify_checks"]);
        var receipt = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(result.ReceiptPath!))!;
        var stable = receipt["rollback_to"]!.GetValue<string>();
        Assert.Equal($"gcloud run services update-traffic api --project openagentsgemini --region us-central1 --to-revisions {stable}=100", receipt["rollback_gcloud"]!.GetValue<string>());
        Assert.Contains($"- gcloud: `gcloud run services update-traffic api --project openagentsgemini --region us-central1 --to-revisions {stable}=100`", File.ReadAllText(DeployReport.PathFor(result.ReceiptPath!)), StringComparison.Ordinal);
    }

    private sealed class Provider(IPlatform platform) : IPlatformProvider
    {
        public Task<IPlatform> OpenAsync(PlatformKind kind, CancellationToken cancellationToken) => Task.FromResult(platform);

        public Task<IImageBuilder> BuilderAsync(PlatformKind kind, CancellationToken cancellationToken) => throw new NotSupportedException("these tests deploy built images");
    }
}
