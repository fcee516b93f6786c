using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// The stand-in gcloud the rollout parity tests trust: gcloud's documented traffic rules on the double, and
/// gcloud's refusal of what it does not know (Google Cloud SDK reference, "gcloud run services update-traffic").
/// </summary>
public sealed class GcloudToDoubleTests : CloudRunExampleTests
{
    private const string Service = "runtime-staging";
    private const string Name = $"projects/openagentsgemini/locations/us-central1/services/{Service}";
    private readonly TempDir _bin = new();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        GcloudToDouble.Install(_bin.Path, Google.BaseUri, CloudRunDouble.Token);
    }

    public override async Task DisposeAsync()
    {
        _bin.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public void AnUnknownFlag_IsRefusedAsGcloudRefusesIt_AndNothingChanges()
    {
        var (code, err) = Gcloud("run", "services", "update-traffic", Service, "--project", "openagentsgemini", "--region", "us-central1", "--to-revisions", "x=100", "--splitting", "50");

        Assert.Equal(2, code);
        Assert.Equal("ERROR: (gcloud.run.services.update-traffic) unrecognized arguments: --splitting", err.Trim());
        Assert.DoesNotContain(Google.Calls, c => c.StartsWith("PATCH ", StringComparison.Ordinal));
    }

    [Fact]
    public void ADeployWithATag_ThenAShareBelow100_ScalesTheRest_AndKeepsEveryTag()
    {
        var first = Serving().Single().Revision;
        Assert.Equal(0, Gcloud("run", "deploy", Service, "--project", "openagentsgemini", "--region", "us-central1", "--image", $"{Registry}/runtime/runtime:bbb2222", "--quiet", "--no-traffic", "--tag", "dm-bbb2222").Code);
        var second = Google.Service(Name)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        // --no-traffic: what LATEST served stays on the revision it served.
        Assert.Equal([(first, 100)], Serving());
        Assert.Equal(0, Gcloud("run", "services", "update-traffic", Service, "--project", "openagentsgemini", "--region", "us-central1", "--update-tags", "qa=" + first).Code);

        // Only the new revision named: the one serving now takes what is left ("--to-revisions=myservice-s5sxn=20").
        var (code, err) = Gcloud("run", "services", "update-traffic", Service, "--project", "openagentsgemini", "--region", "us-central1", "--to-revisions", $"{second}=20");

        Assert.True(code == 0, err);
        Assert.Equal([(first, 80), (second, 20)], Serving().OrderBy(s => s.Percent).Reverse());
        var tags = Google.Service(Name)["trafficStatuses"]!.AsArray().Where(t => t!["tag"] is not null).Select(t => (t!["tag"]!.GetValue<string>(), t["revision"]!.GetValue<string>())).Order();
        Assert.Equal([("dm-bbb2222", second), ("qa", first)], tags);
        Assert.Equal((1, "ERROR: (gcloud.run.services.update-traffic) Invalid argument: the traffic percentages add up to 120, more than 100"),
            Gcloud("run", "services", "update-traffic", Service, "--project", "openagentsgemini", "--region", "us-central1", "--to-revisions", $"{second}=60,{first}=60") is var (c, e) ? (c, e.Trim()) : default);
    }

    private List<(string Revision, int Percent)> Serving() =>
        [.. Google.Service(Name)["trafficStatuses"]!.AsArray().Where(t => t!["percent"]?.GetValue<int>() > 0)
            .Select(t => (t!["revision"]?.GetValue<string>() ?? Google.Service(Name)["latestReadyRevision"]!.GetValue<string>().Split('/')[^1], t["percent"]!.GetValue<int>()))];

    private (int Code, string Err) Gcloud(params string[] args) => GcloudToDouble.Run(_bin.Path, args);
}
