using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// A canary deployed outside DeployMatrix (plain <c>gcloud run deploy --no-traffic</c>) has no traffic tag, so Cloud
/// Run gives it no URL of its own. The rollout's 0% stage tags it (<c>dm-</c> and its image tag) in the same update
/// that names it at 0%, and checks it there before any user reaches it — through the API and through gcloud alike.
/// </summary>
public sealed class CloudRunUntaggedCanaryTests : CloudRunExampleTests
{
    private const string Lane = "openagents-control-service";
    private const string Service = "openagents-control-service-staging";
    private const string Name = $"projects/openagentsgemini/locations/us-central1/services/{Service}";
    private readonly TempDir _bin = new();
    private string _stable = null!;
    private string _canary = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        UseFakeClock();
        ServeTheExampleApps();
        Env["PATH"] = GcloudToDouble.Install(_bin.Path, Google.BaseUri, CloudRunDouble.Token);
        _stable = Google.Service(Name)["latestReadyRevision"]!.GetValue<string>().Split('/')[^1];
        var (code, err) = GcloudToDouble.Run(_bin.Path, "run", "deploy", Service, "--project", "openagentsgemini", "--region", "us-central1",
            "--image", $"{Registry}/openagents-control-service/control:fff6666", "--no-traffic");
        Assert.True(code == 0, err);
        _canary = Google.Service(Name)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.DoesNotContain(Google.Service(Name)["trafficStatuses"]!.AsArray(), t => t!["tag"] is not null);
        Google.SimulateLoad(Name, 100);
    }

    public override async Task DisposeAsync()
    {
        _bin.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public void AnUntaggedCanary_IsTaggedAtTheZeroStage_AndCheckedOnItsTagUrl_BeforeAnyUserReachesIt()
    {
        var rollout = Cli("rollout", Lane, "--env", "staging", "--window", "3m");

        Assert.True(rollout.ExitCode == 0, rollout.ToString());
        AssertCheckedOnItsTagUrlFirst();
        Assert.Contains($"canary tagged dm-fff6666 for its own URL", Cli("history", Lane).Out, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUntaggedCanary_IsTaggedAtTheZeroStage_ThroughGcloud()
    {
        var rollout = Cli("rollout", Lane, "--env", "staging", "--window", "3m", "--executor", "gcloud");

        Assert.True(rollout.ExitCode == 0, rollout.ToString());
        Assert.Contains(GcloudToDouble.UpdateTraffic(Service, $"--to-revisions {_stable}=100,{_canary}=0 --update-tags dm-fff6666={_canary}"), GcloudToDouble.Calls(_bin.Path));
        AssertCheckedOnItsTagUrlFirst();
    }

    /// <summary>The smoke and gate checks reached the canary through dm-fff6666 while users reached only stable; it serves everything now and keeps its tag.</summary>
    private void AssertCheckedOnItsTagUrlFirst()
    {
        var served = Google.Served.ToList();
        foreach (var path in new[] { "/healthz", "/readyz", "/api/v1/control/status", "/manifest.json" })
        {
            Assert.Contains(served, r => r.Revision == _canary && r.Tag == "dm-fff6666" && r.Path == path);
        }

        var history = Google.TrafficHistory(Service);
        var firstUserShare = history.ToList().FindIndex(split => split.Any(s => s.Revision == _canary));
        Assert.True(firstUserShare > 0);
        Assert.All(history.Take(firstUserShare), split => Assert.Equal([(_stable, 100)], split));
        Assert.Equal([(_canary, 100)], history[^1]);
        Assert.Contains(Google.Service(Name)["trafficStatuses"]!.AsArray(), t => t!["tag"]?.GetValue<string>() == "dm-fff6666" && t["revision"]?.GetValue<string>() == _canary);
    }
}
