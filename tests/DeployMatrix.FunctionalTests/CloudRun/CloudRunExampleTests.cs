using System.Text.Json;
using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// A copy of the example with its Cloud Run services and migration jobs in the double (each at
/// <c>:aaa1111</c>, serving), and the commands pointed at it. Disposing fails the test if the double saw
/// a call or gave an answer outside Google's API definitions.
/// </summary>
public abstract class CloudRunExampleTests : IAsyncLifetime
{
    protected const string Registry = "us-central1-docker.pkg.dev/openagentsgemini";

    private protected TempDir Dir { get; } = TempDir.CopyOfExample();

    protected CloudRunDouble Google { get; private set; } = null!;

    protected Dictionary<string, string> Env { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Google = await CloudRunDouble.StartAsync();
        Google.PollsPerOperation = 0; // polling has its own tests; here the commands are the subject
        foreach (var (service, image) in new[] { ("runtime", "runtime/runtime"), ("runtime-staging", "runtime/runtime"), ("openagents-control-service", "openagents-control-service/control"), ("openagents-control-service-staging", "openagents-control-service/control") })
        {
            Google.AddService("openagentsgemini", "us-central1", service, $"{Registry}/{image}:aaa1111");
        }

        Google.AddJob("openagentsgemini", "us-central1", "runtime-migrate", $"{Registry}/runtime/runtime:aaa1111");
        Google.AddJob("openagentsgemini", "us-central1", "runtime-migrate-staging", $"{Registry}/runtime/runtime:aaa1111");
        Env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DEPLOYMATRIX_GOOGLE_API_URL"] = Google.BaseUri.ToString(),
            ["GOOGLE_OAUTH_ACCESS_TOKEN"] = CloudRunDouble.Token,
        };
    }

    public async Task DisposeAsync()
    {
        Assert.True(Google.Problems.IsEmpty, string.Join("\n", Google.Problems));
        await Google.DisposeAsync();
        Dir.Dispose();
    }

    protected CliRun Cli(params string[] args) => CliRun.Invoke(Dir.Path, Env, ["--platform", "cloudrun", .. args]);

    protected JsonElement Status(string lane, string env)
    {
        var run = Cli("status", lane, "--env", env, "--output", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement[0].Clone();
    }

    protected JsonElement Receipt(CliRun run) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir.Path, run.Out.Split('\n').Single(l => l.StartsWith("receipt: ", StringComparison.Ordinal))["receipt: ".Length..].Trim()))).RootElement;
}
