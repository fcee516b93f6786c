using System.Globalization;
using System.Text.Json.Nodes;
using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// A rollout through gcloud and through the API must leave Cloud Run alike. Each path has a Cloud Run double of
/// its own, in the same starting state, on a fake clock of its own, with the same load: the API path calls its
/// double, the gcloud path runs gcloud — a stand-in (<c>gcloud-to-double</c>) that carries each gcloud command out
/// on its double's v2 API with gcloud's documented meaning — while its analysis reads that double's Cloud
/// Monitoring, which follows the traffic gcloud set. Both must pass through the same splits and end with the same
/// traffic and tags (revisions named by the order they were made).
/// </summary>
public sealed class RolloutExecutorParityTests : CloudRunExampleTests
{
    private const string Service = "openagents-control-service-staging";
    private const string ServiceName = $"projects/openagentsgemini/locations/us-central1/services/{Service}";
    private readonly TempDir _gcloudDir = TempDir.CopyOfExample();
    private readonly TempDir _bin = new();
    private CloudRunDouble _gcloudGoogle = null!;
    private SteppedClock _gcloudClock = null!;
    private string _path = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _gcloudGoogle = await CloudRunDouble.StartAsync();
        _gcloudGoogle.PollsPerOperation = 1; // the stand-in polls operations as gcloud does
        foreach (var (service, image) in new[] { ("runtime", "runtime/runtime"), ("runtime-staging", "runtime/runtime"), ("openagents-control-service", "openagents-control-service/control"), (Service, "openagents-control-service/control") })
        {
            _gcloudGoogle.AddService("openagentsgemini", "us-central1", service, $"{Registry}/{image}:aaa1111");
        }

        UseFakeClock();
        _gcloudClock = new SteppedClock(Clock!.GetUtcNow());
        _gcloudGoogle.Clock = _gcloudClock;
        ServeTheExampleApps();
        _gcloudGoogle.App = Google.App;
        _path = GcloudToDouble.Install(_bin.Path, _gcloudGoogle.BaseUri, CloudRunDouble.Token);
    }

    public override async Task DisposeAsync()
    {
        Assert.True(_gcloudGoogle.Problems.IsEmpty, string.Join("\n", _gcloudGoogle.Problems));
        await _gcloudGoogle.DisposeAsync();
        _gcloudDir.Dispose();
        _bin.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>Two deploys (so a rollback has somewhere to go), the rollback, a deploy, then a rollout of a new tag.</summary>
    private static readonly string[][] RollbackDeployRollout =
    [
        ["deploy", "openagents-control-service", "--env", "staging", "--tag", "bbb2222"],
        ["deploy", "openagents-control-service", "--env", "staging", "--tag", "ccc3333"],
        ["rollback", "openagents-control-service", "--env", "staging"],
        ["deploy", "openagents-control-service", "--env", "staging", "--tag", "ddd4444"],
        ["rollout", "openagents-control-service", "--env", "staging", "--tag", "eee5555", "--window", "3m"],
    ];

    [Fact]
    public void RollbackDeployAndRollout_EndInTheSameTrafficAndTags_ThroughTheApiAndThroughGcloud()
    {
        RunOnBothPaths(RollbackDeployRollout);

        // The release rolled out serves everything; every release's revision keeps its tag.
        Assert.Equal("traffic #5=100; tags dm-bbb2222=#2, dm-ccc3333=#3, dm-ddd4444=#4, dm-eee5555=#5", Normalized(Google));
        Assert.Equal(Normalized(Google), Normalized(_gcloudGoogle));
        // The same splits, stage by stage, in both worlds: 0% (the canary tagged, serving nothing), 5, 25, 50, 100.
        Assert.Equal(Splits(Google), Splits(_gcloudGoogle));
        Assert.Contains("#4=95,#5=5", Splits(_gcloudGoogle), StringComparison.Ordinal);
        var (stable, canary) = (Revision(_gcloudGoogle, 4), Revision(_gcloudGoogle, 5));
        Assert.Contains(UpdateTraffic($"--to-revisions {stable}=100,{canary}=0"), GcloudCalls());
        Assert.Contains(UpdateTraffic($"--to-revisions {stable}=95,{canary}=5"), GcloudCalls());
        Assert.Contains(UpdateTraffic($"--to-revisions {canary}=100"), GcloudCalls());
        GcloudWroteEverything();
    }

    [Fact]
    public void ACanaryFailingAtFivePercent_IsSentBackToStable_AlikeThroughTheApiAndThroughGcloud()
    {
        foreach (var google in new[] { Google, _gcloudGoogle })
        {
            // The fifth revision (eee5555) answers half its requests with 5xx once it takes user traffic.
            google.Behaviour = m => m.Revision.Contains("-00005-", StringComparison.Ordinal) && m.Percent > 0 ? (0.5, 4) : null;
        }

        RunOnBothPaths(RollbackDeployRollout);

        Assert.Equal("traffic #4=100; tags dm-bbb2222=#2, dm-ccc3333=#3, dm-ddd4444=#4, dm-eee5555=#5", Normalized(Google));
        Assert.Equal(Normalized(Google), Normalized(_gcloudGoogle));
        Assert.Equal(Splits(Google), Splits(_gcloudGoogle));
        Assert.EndsWith("#4=95,#5=5 | #4=100", Splits(_gcloudGoogle), StringComparison.Ordinal);
        Assert.Contains(UpdateTraffic($"--to-revisions {Revision(_gcloudGoogle, 4)}=100"), GcloudCalls());
        GcloudWroteEverything();
    }

    /// <summary>Each step through the API (exit 0 but for a failed rollout, 1) and through gcloud, which must end the same.</summary>
    private void RunOnBothPaths(params string[][] steps)
    {
        Google.SimulateLoad(ServiceName, 100);
        _gcloudGoogle.SimulateLoad(ServiceName, 100);
        foreach (var step in steps)
        {
            var api = Cli(step);
            var gcloud = Gcloud([.. step, "--executor", "gcloud"]);
            Assert.True(api.ExitCode is 0 or 1 && (api.ExitCode == 0 || step[0] == "rollout"), api.ToString());
            Assert.True(gcloud.ExitCode == api.ExitCode, $"API path exited {api.ExitCode}, gcloud path {gcloud.ExitCode}:\n{gcloud}");
        }
    }

    private CliRun Gcloud(string[] args)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // The analysis and the service reads go to this path's own double; gcloud's writes too (its stand-in's run-endpoint).
            ["DEPLOYMATRIX_GOOGLE_API_URL"] = _gcloudGoogle.BaseUri.ToString(),
            ["GOOGLE_OAUTH_ACCESS_TOKEN"] = CloudRunDouble.Token,
            ["PATH"] = _path,
        };
        string[] all = ["--platform", "cloudrun", .. args];
        return Task.Run(() => _gcloudClock.RunAsync(Task.Run(() => CliRun.Invoke(_gcloudDir.Path, env, _gcloudClock, all)), TimeSpan.FromSeconds(1))).GetAwaiter().GetResult();
    }

    /// <summary>The gcloud path changed its double only through gcloud: one Admin API write per mutating gcloud command.</summary>
    private void GcloudWroteEverything()
    {
        var writes = GcloudCalls().Count(c => c.StartsWith("run deploy ", StringComparison.Ordinal) || c.StartsWith("run services update-traffic ", StringComparison.Ordinal));
        Assert.Equal(writes, _gcloudGoogle.Calls.Count(c => c.StartsWith("PATCH ", StringComparison.Ordinal)));
    }

    private static string UpdateTraffic(string flags) => GcloudToDouble.UpdateTraffic(Service, flags);

    private List<string> GcloudCalls() => GcloudToDouble.Calls(_bin.Path);

    /// <summary>The revision of the service the double made <paramref name="order"/>th (#1: the one it started with).</summary>
    private static string Revision(CloudRunDouble google, int order) =>
        Numbered(google).Single(r => r.Value == order).Key;

    /// <summary>
    /// Revisions by the order they were made: #1 the one the service started with (named by the double's own counter), then by
    /// the generation in SERVICE-00042-xyz, which both paths name their revisions by.
    /// </summary>
    private static Dictionary<string, int> Numbered(CloudRunDouble google)
    {
        var service = google.Service(ServiceName);
        var revisions = google.TrafficHistory(Service)[0].Select(s => s.Revision).ToList();
        var initial = Assert.Single(revisions);
        var made = service["trafficStatuses"]!.AsArray().Select(t => t!["revision"]?.GetValue<string>()).OfType<string>()
            .Concat(google.TrafficHistory(Service).SelectMany(s => s.Select(x => x.Revision)))
            .Where(r => r != initial).Distinct(StringComparer.Ordinal)
            .OrderBy(r => long.Parse(r.Split('-')[^2], CultureInfo.InvariantCulture)).ToList();
        return new[] { initial }.Concat(made).Select((r, i) => (r, i)).ToDictionary(x => x.r, x => x.i + 1, StringComparer.Ordinal);
    }

    private static string Normalized(CloudRunDouble google)
    {
        var names = Numbered(google);
        var statuses = google.Service(ServiceName)["trafficStatuses"]!.AsArray().OfType<JsonObject>().ToList();
        var traffic = statuses.Where(t => t["percent"]?.GetValue<int>() > 0).Select(t => $"#{names[t["revision"]!.GetValue<string>()]}={t["percent"]!.GetValue<int>()}").Order(StringComparer.Ordinal);
        var tags = statuses.Where(t => t["tag"] is not null).OrderBy(t => t["tag"]!.GetValue<string>(), StringComparer.Ordinal).Select(t => $"{t["tag"]}=#{names[t["revision"]!.GetValue<string>()]}");
        return $"traffic {string.Join(",", traffic)}; tags {string.Join(", ", tags)}";
    }

    /// <summary>Every split the service routed by, consecutive repeats once (a tag change routes as before), revisions numbered.</summary>
    private static string Splits(CloudRunDouble google)
    {
        var names = Numbered(google);
        var shown = google.TrafficHistory(Service)
            .Select(split => string.Join(",", split.Select(s => $"#{names[s.Revision]}={s.Percent}")))
            .ToList();
        return string.Join(" | ", shown.Where((s, i) => i == 0 || s != shown[i - 1]));
    }
}
