using System.Net;
using DeployMatrix.CloudRun.Api;
using DeployMatrix.CloudRun.Tests.Support;
using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Tests;

/// <summary>The Cloud Run Admin API v2 client against the double, which holds both sides to Google's definitions.</summary>
public sealed class RunApiTests : IAsyncLifetime
{
    private const string Name = "projects/openagentsgemini/locations/us-central1/services/openagents-control-service";
    private DoubleConnection _connection = null!;
    private CloudRunDouble _double = null!;
    private RunApi _api = null!;

    public async Task InitializeAsync()
    {
        _connection = await DoubleConnection.StartAsync();
        (_double, _api) = (_connection.Fake, _connection.Run);
        _double.AddService("openagentsgemini", "us-central1", "openagents-control-service", "us-central1-docker.pkg.dev/openagentsgemini/openagents-control-service/control:aaa1111");
    }

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public void ResourceNames_EscapeEachPart_SoANameCannotAddPathSegmentsOrAQuery()
    {
        Assert.Equal("projects/p%2F..%2Fx/locations/us-central1/services/api%3Fa%3Db", RunApi.ServiceName("p/../x", "us-central1", "api?a=b"));
        Assert.Equal("projects/p/locations/r%2F..%2F..%2Fv1/jobs/..%2F..%2Fx", RunApi.JobName("p", "r/../../v1", "../../x"));
        Assert.Equal(Name, RunApi.ServiceName("openagentsgemini", "us-central1", "openagents-control-service"));
    }

    [Fact]
    public async Task PatchingTheImage_CreatesARevision_AfterPollingTheOperation()
    {
        var before = (await _api.GetServiceAsync(Name, CancellationToken.None))!;
        var image = "us-central1-docker.pkg.dev/openagentsgemini/openagents-control-service/control:bbb2222";

        var after = await _api.UpdateServiceAsync(new RunService
        {
            Name = Name,
            Template = before.Template! with { Containers = [new RunContainer { Image = image }] },
            Traffic = [new TrafficTarget { Type = TrafficTarget.ToRevision, Revision = before.LatestReadyRevision!.Split('/')[^1], Percent = 100 }],
        }, CancellationToken.None);
        var revisions = await _api.ListRevisionsAsync(Name, CancellationToken.None);

        Assert.NotEqual(before.LatestCreatedRevision, after.LatestCreatedRevision);
        Assert.Equal(after.LatestCreatedRevision, after.LatestReadyRevision);
        Assert.Equal(image, after.Template!.Containers![0].Image);
        Assert.Equal(2, revisions.Count);
        // The template keeps the tag; the revision reports what Cloud Run resolved it to.
        Assert.Equal($"us-central1-docker.pkg.dev/openagentsgemini/openagents-control-service/control@{_double.DigestOf(image)}", revisions.Single(r => r.Name == after.LatestCreatedRevision).Containers![0].Image);
        // Traffic stayed on the old revision: the seed's production no-traffic deploy.
        Assert.Equal(before.LatestReadyRevision!.Split('/')[^1], after.TrafficStatuses!.Single().Revision);
        Assert.Equal(2, _double.Calls.Count(c => c.Contains("/operations/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ARevisionNameSentBackWithAChangedTemplate_IsRefused()
    {
        var before = (await _api.GetServiceAsync(Name, CancellationToken.None))!;
        var existing = before.LatestCreatedRevision!.Split('/')[^1];

        var error = await Assert.ThrowsAsync<GoogleApiException>(() => _api.UpdateServiceAsync(before with
        {
            Template = before.Template! with { Revision = existing, Containers = [new RunContainer { Image = "us-central1-docker.pkg.dev/openagentsgemini/x/y:z" }] },
        }, CancellationToken.None));

        Assert.Equal(System.Net.HttpStatusCode.Conflict, error.Status);
        Assert.Contains($"ALREADY_EXISTS: Revision named '{existing}' with different configuration already exists.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData(7, null, 7)]
    [InlineData(600, null, 60)]
    [InlineData(null, 30, 30)]
    public void RetryAfter_IsHonouredInSecondsOrAsADate_AndBounded(int? seconds, int? dateInSeconds, int? expected)
    {
        var now = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.TooManyRequests);
        if (seconds is not null)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds.Value));
        }
        else if (dateInSeconds is not null)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(now.AddSeconds(dateInSeconds.Value));
        }

        Assert.Equal(expected is null ? null : TimeSpan.FromSeconds(expected.Value), GoogleHttp.RetryAfter(response, now));
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task QuotaAndUnavailableAnswers_AreRetried(HttpStatusCode status)
    {
        _double.FailNext(status, "try again", times: 2);

        var service = await _api.GetServiceAsync(Name, CancellationToken.None);

        Assert.NotNull(service);
        Assert.Equal(3, _double.Calls.Count);
    }

    [Fact]
    public async Task PermissionDenied_IsOneLine_AndNeverRetried()
    {
        _double.FailNext(HttpStatusCode.Forbidden, "Permission 'run.services.update' denied on resource (or it may not exist).");

        var error = await Assert.ThrowsAnyAsync<PlatformException>(() => _api.UpdateServiceAsync(new RunService { Name = Name, Traffic = [] }, CancellationToken.None));

        Assert.Equal(
            $"PATCH /v2/{Name} → 403 PERMISSION_DENIED: Permission 'run.services.update' denied on resource (or it may not exist). (the account lacks a role; see README, Deploying to Cloud Run)",
            error.Message);
        Assert.Single(_double.Calls);
    }

    [Fact]
    public async Task TrafficThatDoesNotAddUpTo100_IsRefusedByCloudRun_WithItsMessage()
    {
        var before = (await _api.GetServiceAsync(Name, CancellationToken.None))!;

        var error = await Assert.ThrowsAnyAsync<PlatformException>(() => _api.UpdateServiceAsync(new RunService
        {
            Name = Name,
            Traffic = [new TrafficTarget { Type = TrafficTarget.ToRevision, Revision = before.LatestReadyRevision!.Split('/')[^1], Percent = 90 }],
        }, CancellationToken.None));

        Assert.Contains("→ 400 INVALID_ARGUMENT: Traffic targets must add up to 100 percent, got 90.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingService_IsNull_AndAnOperationThatNeverEnds_TimesOut()
    {
        Assert.Null(await _api.GetServiceAsync("projects/openagentsgemini/locations/us-central1/services/nope", CancellationToken.None));

        _double.PollsPerOperation = int.MaxValue;
        var patient = _connection.RunApi(operationTimeout: TimeSpan.FromMilliseconds(300));
        var error = await Assert.ThrowsAnyAsync<PlatformException>(() => patient.UpdateServiceAsync(new RunService { Name = Name, Traffic = [new TrafficTarget { Type = TrafficTarget.ToLatest, Percent = 100 }] }, CancellationToken.None));

        Assert.Contains("did not finish within", error.Message, StringComparison.Ordinal);
    }
}
