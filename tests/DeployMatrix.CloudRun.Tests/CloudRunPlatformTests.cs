using System.Globalization;
using DeployMatrix.CloudRun.Tests.Support;
using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Drift;
using DeployMatrix.Engine.Platform;
using Microsoft.Extensions.Time.Testing;

namespace DeployMatrix.CloudRun.Tests;

/// <summary>The platform port on Cloud Run: the seed's deploy, traffic and migration rules, against the double.</summary>
public sealed class CloudRunPlatformTests : IAsyncLifetime
{
    private static readonly ResolvedTarget Runtime = Targets.Runtime;
    private const string OldImage = "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:aaa1111";
    private const string NewImage = "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:bbb2222";
    private DoubleConnection _connection = null!;
    private CloudRunDouble _double = null!;
    private CloudRunPlatform _platform = null!;

    public async Task InitializeAsync()
    {
        _connection = await DoubleConnection.StartAsync();
        (_double, _platform) = (_connection.Fake, _connection.Platform);
        _double.AddService("openagentsgemini", "us-central1", "runtime", OldImage);
        _double.AddJob("openagentsgemini", "us-central1", "runtime-migrate", OldImage);
    }

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task NoTrafficDeploy_CreatesARevisionWithoutTraffic_ChangingOnlyTheImage()
    {
        var before = await _platform.GetServiceAsync(Runtime, CancellationToken.None);

        var revision = await _platform.DeployRevisionAsync(Runtime, NewImage, "t", noTraffic: true, null, CancellationToken.None);
        var after = await _platform.GetServiceAsync(Runtime, CancellationToken.None);

        Assert.Equal((NewImage.Replace(":bbb2222", "@", StringComparison.Ordinal) + _double.DigestOf(NewImage), _double.DigestOf(NewImage)), (revision.Image, revision.Digest));
        Assert.Equal("ready", revision.Status);
        Assert.Equal(revision.Name, after.LatestCreatedRevision);
        Assert.Equal([new TrafficAssignment(before.LatestReadyRevision!, 100)], after.Traffic);
        var template = _double.Service("projects/openagentsgemini/locations/us-central1/services/runtime")["template"]!;
        Assert.Equal("runtime@openagentsgemini.iam.gserviceaccount.com", template["serviceAccount"]!.GetValue<string>());
        Assert.Equal(1, template["scaling"]!["minInstanceCount"]!.GetValue<int>());
        Assert.Equal("RUST_LOG", template["containers"]![0]!["env"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("512Mi", template["containers"]![0]!["resources"]!["limits"]!["memory"]!.GetValue<string>());
    }

    [Fact]
    public async Task OnAServiceFollowingLatest_ANoTrafficDeploy_PinsTheRevisionThatServes_ByName()
    {
        // As gcloud run deploy leaves a service: traffic follows LATEST, and its status names no revision.
        var service = _double.Service("projects/openagentsgemini/locations/us-central1/services/runtime");
        Assert.Null(service["trafficStatuses"]![0]!["revision"]);
        var serving = (await _platform.GetServiceAsync(Runtime, CancellationToken.None)).LatestReadyRevision!;

        await _platform.DeployRevisionAsync(Runtime, NewImage, "t", noTraffic: true, null, CancellationToken.None);

        Assert.Equal([new TrafficAssignment(serving, 100)], (await _platform.GetServiceAsync(Runtime, CancellationToken.None)).Traffic);
        Assert.Equal(serving, service["traffic"]![0]!["revision"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ARevisionThatNeverBecomesReady_FailsTheDeploy_NamingItsCondition_AndTrafficStaysWhereItWas(bool noTraffic)
    {
        var before = await _platform.GetServiceAsync(Runtime, CancellationToken.None);
        _double.FailingImages.Add(NewImage);

        var error = await Assert.ThrowsAnyAsync<PlatformException>(() => _platform.DeployRevisionAsync(Runtime, NewImage, "t", noTraffic, null, CancellationToken.None));
        var after = await _platform.GetServiceAsync(Runtime, CancellationToken.None);

        Assert.Matches("^revision runtime-\\d{5}-[a-z]{3} of runtime did not become ready, so it takes no traffic: Revision '.*' is not ready and cannot serve traffic. The user-provided container failed to start", error.Message);
        Assert.Equal(before.Traffic, after.Traffic);
        Assert.Equal(before.LatestReadyRevision, after.LatestReadyRevision);
        Assert.Equal("not ready", after.Revisions.Single(r => r.Name == after.LatestCreatedRevision).Status);
    }

    [Fact]
    public async Task AServiceWhoseOnlyRevisionFailed_IsShownServingNothing_AndADeployRepairsIt()
    {
        _double.FailingImages.Add("us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:broken");
        _double.AddService("openagentsgemini", "us-central1", "runtime-new", "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:broken");
        var target = Runtime with { Service = "runtime-new" };

        var broken = await _platform.GetServiceAsync(target, CancellationToken.None);
        var revision = await _platform.DeployRevisionAsync(target, NewImage, "t", noTraffic: true, null, CancellationToken.None);
        var repaired = await _platform.GetServiceAsync(target, CancellationToken.None);

        Assert.Empty(broken.Traffic);
        Assert.StartsWith("Revision '", broken.Revisions.Single().Reason, StringComparison.Ordinal);
        Assert.Equal([new TrafficAssignment(revision.Name, 100)], repaired.Traffic);
    }

    [Fact]
    public async Task ADeployRefusedForAStaleEtag_IsMadeAgainOnWhatTheServiceIsNow()
    {
        const string Name = "projects/openagentsgemini/locations/us-central1/services/runtime";
        _double.ConcurrentChanges[Name] = 1; // someone changes the service between the deploy's read and its patch

        var revision = await _platform.DeployRevisionAsync(Runtime, NewImage, "t", noTraffic: true, null, CancellationToken.None);

        Assert.Equal("ready", revision.Status);
        Assert.Equal(2, _double.Calls.Count(c => c == $"PATCH /v2/{Name}"));
    }

    [Fact]
    public async Task AServiceThatKeepsChanging_FailsTheDeploy_NamingCloudRunsRefusal()
    {
        const string Name = "projects/openagentsgemini/locations/us-central1/services/runtime";
        _double.ConcurrentChanges[Name] = 10;

        var error = await Assert.ThrowsAnyAsync<PlatformException>(() => _platform.DeployRevisionAsync(Runtime, NewImage, "t", noTraffic: true, null, CancellationToken.None));

        Assert.Contains("→ 409 ABORTED: Resource 'runtime' has been modified.", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, _double.Calls.Count(c => c == $"PATCH /v2/{Name}"));
    }

    [Fact]
    public async Task AJobImageUpdateRefusedForAStaleEtag_IsRetried()
    {
        _double.AddJob("openagentsgemini", "us-central1", "runtime-migrate-etag", "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:aaa1111");
        _double.ConcurrentChanges["projects/openagentsgemini/locations/us-central1/jobs/runtime-migrate-etag"] = 1;

        await _platform.UpdateJobImageAsync(Runtime, "runtime-migrate-etag", NewImage, null, [], CancellationToken.None);

        Assert.Equal(NewImage, await _platform.GetJobImageAsync(Runtime, "runtime-migrate-etag", CancellationToken.None));
    }

    [Fact]
    public async Task ACanarySplit_ThenARollback_AreWhatCloudRunServes()
    {
        var stable = (await _platform.GetServiceAsync(Runtime, CancellationToken.None)).LatestReadyRevision!;
        var canary = (await _platform.DeployRevisionAsync(Runtime, NewImage, "t", noTraffic: true, null, CancellationToken.None)).Name;

        await _platform.SetTrafficAsync(Runtime, [new TrafficAssignment(stable, 95), new TrafficAssignment(canary, 5)], CancellationToken.None);
        var split = (await _platform.GetServiceAsync(Runtime, CancellationToken.None)).Traffic;
        await _platform.SetTrafficAsync(Runtime, [new TrafficAssignment(stable, 100)], CancellationToken.None);
        var back = (await _platform.GetServiceAsync(Runtime, CancellationToken.None)).Traffic;

        Assert.Equal([new TrafficAssignment(stable, 95), new TrafficAssignment(canary, 5)], split);
        Assert.Equal([new TrafficAssignment(stable, 100)], back);
    }

    [Fact]
    public async Task TheMandatoryMigration_RunsTheSameImage_AndTheDriftCheckAgrees()
    {
        await _platform.DeployRevisionAsync(Runtime, NewImage, "t", noTraffic: true, null, CancellationToken.None);
        var drifted = await DriftCheck.RunAsync(_platform, Runtime, "runtime-migrate", NewImage, CancellationToken.None);

        await _platform.UpdateJobImageAsync(Runtime, "runtime-migrate", NewImage, null, [], CancellationToken.None);
        var execution = await _platform.ExecuteJobAsync(Runtime, "runtime-migrate", [], JobRun.Default, CancellationToken.None);
        var clean = await DriftCheck.RunAsync(_platform, Runtime, "runtime-migrate", NewImage, CancellationToken.None);

        Assert.False(drifted.Ok);
        Assert.Contains($"the job is set to {OldImage}", drifted.Problem, StringComparison.Ordinal);
        Assert.True(execution.Succeeded);
        Assert.Equal(NewImage, execution.Image);
        Assert.True(clean.Ok, clean.Problem);
    }

    [Theory]
    [InlineData(1, 0, 1, "1 of 2 tasks succeeded, 1 cancelled")]
    [InlineData(1, 1, 0, "1 of 2 tasks succeeded, 1 failed, 1 retried")]
    [InlineData(2, 0, 0, null)]
    public async Task AMigrationSucceeds_OnlyWhenEveryTaskSucceeded(int succeeded, int failed, int cancelled, string? failure)
    {
        _double.AddJob("openagentsgemini", "us-central1", "runtime-migrate-two", "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:aaa1111", taskCount: 2);
        _double.TaskOutcomes["runtime-migrate-two"] = (succeeded, failed, cancelled);

        var execution = await _platform.ExecuteJobAsync(Runtime, "runtime-migrate-two", [], JobRun.Default, CancellationToken.None);

        Assert.Equal((failure is null, failure ?? "2 of 2 tasks succeeded"), (execution.Succeeded, execution.Tasks));
    }

    [Fact]
    public async Task ARunningExecutionOfTheJob_BlocksANewOne_NamingIt_UntilItHasCompleted()
    {
        var job = _double.Job(Api.RunApi.JobName(Runtime.Project!, Runtime.Region!, "runtime-migrate"));
        // Another client's execution, still running: Cloud Run reports it without a completionTime.
        job["latestCreatedExecution"] = new System.Text.Json.Nodes.JsonObject
        {
            ["name"] = $"{Api.RunApi.JobName(Runtime.Project!, Runtime.Region!, "runtime-migrate")}/executions/runtime-migrate-elsewhere",
            ["createTime"] = "2026-11-26T11:00:00Z",
            ["completionStatus"] = "EXECUTION_RUNNING",
        };

        var blocked = await Assert.ThrowsAnyAsync<PlatformException>(() => _platform.ExecuteJobAsync(Runtime, "runtime-migrate", [], JobRun.Default, CancellationToken.None));
        job["latestCreatedExecution"]!["completionTime"] = "2026-11-26T11:05:00Z";
        var ran = await _platform.ExecuteJobAsync(Runtime, "runtime-migrate", [], JobRun.Default, CancellationToken.None);

        Assert.Equal("execution runtime-migrate-elsewhere of job runtime-migrate is running since 2026-11-26T11:00:00Z; one execution of a job runs at a time — wait for it with --lock-wait SECONDS", blocked.Message);
        Assert.True(ran.Succeeded);
        Assert.NotEqual("runtime-migrate-elsewhere", ran.Name);
    }

    [Fact]
    public async Task AFailedMigration_IsReported_WithWhereItsLogsAre()
    {
        _double.FailingJobs["runtime-migrate"] = true;
        await _platform.UpdateJobImageAsync(Runtime, "runtime-migrate", OldImage, null, [], CancellationToken.None);

        var execution = await _platform.ExecuteJobAsync(Runtime, "runtime-migrate", [], JobRun.Default, CancellationToken.None);
        var drift = await DriftCheck.RunAsync(_platform, Runtime, "runtime-migrate", OldImage, CancellationToken.None);

        Assert.False(execution.Succeeded);
        Assert.StartsWith("https://console.cloud.google.com/logs/viewer?", execution.LogLocation, StringComparison.Ordinal);
        Assert.False(drift.Ok);
    }

    [Fact]
    public async Task RevisionMetrics_AreWholeSixtySecondPeriods_VisibleOnlyOnceCloudMonitoringShowsThem()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T12:00:30Z", CultureInfo.InvariantCulture));
        _double.Clock = clock;
        var stable = (await _platform.GetServiceAsync(Runtime, CancellationToken.None)).LatestReadyRevision!;
        var canary = (await _platform.DeployRevisionAsync(Runtime, NewImage, "t", noTraffic: true, null, CancellationToken.None)).Name;
        await _platform.SetTrafficAsync(Runtime, [new TrafficAssignment(stable, 80), new TrafficAssignment(canary, 20)], CancellationToken.None);
        _double.RevisionBehaviour[canary] = (0.10, 40);
        _double.RevisionBehaviour[stable] = (0, 4);
        _double.SimulateLoad("projects/openagentsgemini/locations/us-central1/services/runtime", perSecond: 100);
        var cadence = _platform.MetricsCadence;
        var origin = cadence.PeriodStartFrom(clock.GetUtcNow());

        var first = await _platform.GetRevisionMetricsAsync(Runtime, origin, CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(6)); // 12:06:30: the samples up to 12:04:00 are visible (150 s)
        var later = await _platform.GetRevisionMetricsAsync(Runtime, origin.AddMinutes(3), CancellationToken.None);
        var early = await _platform.GetRevisionMetricsAsync(Runtime, origin.AddMinutes(4), CancellationToken.None);

        Assert.Equal(DateTimeOffset.Parse("2026-11-30T12:01:00Z", CultureInfo.InvariantCulture), origin);
        Assert.Empty(first);
        // 12:01:00–12:04:00, three whole periods at 100 requests a second: exactly 20% of 18 000 to the canary.
        Assert.Equal((3600L, 360L), (later[canary].Requests, later[canary].Failed));
        Assert.Equal((14400L, 0L), (later[stable].Requests, later[stable].Failed));
        Assert.InRange(later[canary].P95Ms, 40, 60); // the bucket holding 40 ms
        Assert.InRange(later[stable].P95Ms, 4, 6);
        // The period ending 12:05 is not visible before 12:07:30: asking for it counts nothing of it yet.
        Assert.Equal(later[canary].Requests, early[canary].Requests);
        Assert.All(_double.MetricsQueries, q => Assert.Equal(q.To - q.From, q.Alignment));
    }

    [Fact]
    public async Task ATagSomeoneElseSet_SurvivesDeploysAndEverySplit()
    {
        const string name = "projects/openagentsgemini/locations/us-central1/services/runtime";
        var stable = (await _platform.GetServiceAsync(Runtime, CancellationToken.None)).LatestReadyRevision!;
        // A QA tag on the serving revision, as `gcloud run services update-traffic --set-tags qa=REV` leaves it.
        _double.Service(name)["traffic"] = new System.Text.Json.Nodes.JsonArray(
            new System.Text.Json.Nodes.JsonObject { ["type"] = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", ["percent"] = 100 },
            new System.Text.Json.Nodes.JsonObject { ["type"] = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", ["revision"] = stable, ["percent"] = 0, ["tag"] = "qa" });

        var canary = (await _platform.DeployRevisionAsync(Runtime, NewImage, "t", noTraffic: true, null, CancellationToken.None)).Name;
        var afterDeploy = QaTag();
        await _platform.SetTrafficAsync(Runtime, [new TrafficAssignment(stable, 90), new TrafficAssignment(canary, 10)], CancellationToken.None);
        var afterSplit = QaTag();
        await _platform.SetTrafficAsync(Runtime, [new TrafficAssignment(canary, 100)], CancellationToken.None);
        var afterPromote = QaTag();
        await _platform.DeployRevisionAsync(Runtime, OldImage, "u", noTraffic: false, null, CancellationToken.None);
        var afterTrafficDeploy = QaTag();

        Assert.Equal((stable, 100), afterDeploy);
        Assert.Equal((stable, 90), afterSplit);
        Assert.Equal((stable, 0), afterPromote);
        Assert.Equal((stable, 0), afterTrafficDeploy);

        (string Revision, int Percent) QaTag()
        {
            var entry = Assert.Single(_double.Service(name)["traffic"]!.AsArray(), t => t!["tag"]?.GetValue<string>() == "qa")!;
            return (entry["revision"]!.GetValue<string>(), entry["percent"]?.GetValue<int>() ?? 0);
        }
    }

    [Fact]
    public async Task AServiceThatDoesNotExist_IsOneLineWithTheFix()
    {
        var missing = Runtime with { Service = "nope" };

        var error = await Assert.ThrowsAnyAsync<PlatformException>(() => _platform.DeployRevisionAsync(missing, NewImage, "t", noTraffic: true, null, CancellationToken.None));

        Assert.Equal("Cloud Run service nope does not exist in openagentsgemini/us-central1; create it once (gcloud run deploy) before DeployMatrix manages its revisions", error.Message);
    }
}
