using System.Text.Json;
using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Tests.Support;
using Microsoft.AspNetCore.Http;

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

    public virtual async Task InitializeAsync()
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

    public virtual async Task DisposeAsync()
    {
        Assert.True(Google.Problems.IsEmpty, string.Join("\n", Google.Problems));
        await Google.DisposeAsync();
        Dir.Dispose();
    }

    /// <summary>The fake clock the commands and the double's Cloud Monitoring run on, once <see cref="UseFakeClock"/> was called.</summary>
    protected SteppedClock? Clock { get; private set; }

    /// <summary>
    /// Runs the commands and the double's metrics on a fake clock from here on (12:00:00Z), moved a second
    /// at a time while a command waits: minutes of Cloud Monitoring's delay pass in moments, the same way each run.
    /// </summary>
    protected void UseFakeClock()
    {
        Clock = new SteppedClock(DateTimeOffset.Parse("2026-11-30T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        Google.Clock = Clock;
    }

    /// <summary>The control service's and runtime's endpoints the gate and smoke checks ask for.</summary>
    protected void ServeTheExampleApps() => Google.App = async context =>
    {
        switch (context.Request.Path.Value)
        {
            case "/api/v1/control/status":
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"status":"ok","version":"bbb2222"}""");
                break;
            case "/manifest.json":
                context.Response.Headers.CacheControl = "no-cache";
                await context.Response.WriteAsync("{}");
                break;
            default:
                await context.Response.WriteAsync("ok");
                break;
        }
    };

    protected CliRun Cli(params string[] args)
    {
        string[] all = ["--platform", "cloudrun", .. args];
        if (Clock is not { } clock)
        {
            return CliRun.Invoke(Dir.Path, Env, all);
        }

        // Off the test's synchronization context: the clock is stepped while the command blocks a thread.
        return Task.Run(() => clock.RunAsync(Task.Run(() => CliRun.Invoke(Dir.Path, Env, clock, all)), TimeSpan.FromSeconds(1))).GetAwaiter().GetResult();
    }

    protected JsonElement Status(string lane, string env)
    {
        var run = Cli("status", lane, "--env", env, "--output", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("services")[0].Clone();
    }

    protected JsonElement Receipt(CliRun run) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir.Path, run.Out.Split('\n').Single(l => l.StartsWith("receipt: ", StringComparison.Ordinal))["receipt: ".Length..].Trim()))).RootElement;
}
