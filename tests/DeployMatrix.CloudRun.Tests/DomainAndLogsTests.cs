using DeployMatrix.CloudRun.Api;
using DeployMatrix.CloudRun.Tests.Support;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Tests.GoogleDouble;

namespace DeployMatrix.CloudRun.Tests;

/// <summary>Domain mappings (Cloud Run v1) and Cloud Logging's entries.list, read by the platform against the double.</summary>
public sealed class DomainAndLogsTests : IAsyncLifetime
{
    private const string Project = "openagentsgemini";
    private const string Region = "us-central1";
    private const string Domain = "staging.openagents.com";
    private static readonly ResolvedTarget Runtime = Targets.Runtime with { Domain = Domain };
    private DoubleConnection _connection = null!;
    private CloudRunDouble _double = null!;

    public async Task InitializeAsync()
    {
        _connection = await DoubleConnection.StartAsync();
        _double = _connection.Fake;
        _double.AddService(Project, Region, "runtime", "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:aaa1111");
    }

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task ReadyMapping_IsReady_AndItsEndpointIsTheDomainsStandIn()
    {
        var standIn = _double.MapDomain(Project, Region, Domain, "runtime");
        var platform = _connection.PlatformWith(new FixedToken(), TimeProvider.System, new Dictionary<string, Uri> { [Domain] = standIn });

        var mapping = await platform.GetDomainMappingAsync(Runtime, CancellationToken.None);

        Assert.True(mapping.IsReady, mapping.Status);
        Assert.Equal("ready", mapping.Status);
        Assert.Equal(standIn, mapping.Endpoint);
        Assert.Contains($"GET /apis/domains.cloudrun.com/v1/namespaces/{Project}/domainmappings/{Domain}", _double.Calls);
    }

    [Theory]
    [InlineData("False", "True", "is Ready=False (waiting for DNS)")]
    [InlineData("True", "Unknown", "is CertificateProvisioned=Unknown (waiting for DNS)")]
    public async Task PendingMapping_NamesWhatIsPending(string ready, string certificate, string expected)
    {
        _double.MapDomain(Project, Region, Domain, "runtime", ready, certificate, "waiting for DNS");

        var mapping = await _connection.Platform.GetDomainMappingAsync(Runtime, CancellationToken.None);

        Assert.False(mapping.IsReady);
        Assert.Equal($"pending: the domain mapping {Domain} {expected}", mapping.Status);
    }

    [Fact]
    public async Task MappingToAnotherService_OrNone_IsPending()
    {
        var none = await _connection.Platform.GetDomainMappingAsync(Runtime, CancellationToken.None);
        _double.MapDomain(Project, Region, Domain, "runtime-staging");
        var other = await _connection.Platform.GetDomainMappingAsync(Runtime, CancellationToken.None);

        Assert.Equal($"no domain mapping for {Domain} exists", none.Pending);
        Assert.Equal($"the domain mapping {Domain} routes to runtime-staging, not to runtime", other.Pending);
    }

    [Fact]
    public void DomainEndpoints_TakeOnlyLoopbackUrls()
    {
        Assert.Equal(new Uri("http://127.0.0.1:9/"), CloudRunConnection.DomainEndpoints($"{Domain}=http://127.0.0.1:9/")[Domain]);
        var refused = Assert.Throws<PlatformException>(() => CloudRunConnection.DomainEndpoints($"{Domain}=https://203.0.113.7/"));
        Assert.Equal(2, refused.ExitCode);
    }

    [Fact]
    public async Task Logs_SendCloudLoggingsFilter_AndCountEveryPage()
    {
        var now = TimeProvider.System.GetUtcNow();
        for (var i = 0; i < 5; i++)
        {
            _double.AddLogEntry(Project, Region, "runtime", "runtime-00001-abc", "ERROR", now.AddMinutes(-5).AddSeconds(i), $"db timeout {i}");
        }

        _double.AddLogEntry(Project, Region, "runtime", "runtime-00001-abc", "CRITICAL", now.AddMinutes(-4), "", new System.Text.Json.Nodes.JsonObject { ["message"] = "panic in handler" });
        _double.AddLogEntry(Project, Region, "runtime", "runtime-00001-abc", "WARNING", now.AddMinutes(-3), "slow request");
        _double.AddLogEntry(Project, Region, "runtime", "runtime-00001-abc", "ERROR", now.AddMinutes(-30), "an old error");
        _double.AddLogEntry(Project, Region, "runtime-staging", "runtime-staging-00001-abc", "ERROR", now.AddMinutes(-2), "another service");
        var since = now.AddMinutes(-10);

        var readout = await _connection.Platform.ReadLogsAsync(Runtime, new LogQuery(LogSeverity.Error, since, 3), CancellationToken.None);

        Assert.Equal(6, readout.Count);
        Assert.Equal(["db timeout 0", "db timeout 1", "db timeout 2"], readout.First.Select(e => e.Text));
        Assert.All(readout.First, e => Assert.Equal(("runtime-00001-abc", LogSeverity.Error), (e.Revision, e.Severity)));
        Assert.Equal(3, _double.LogFilters.Count); // six entries, two a page
        Assert.All(_double.LogFilters, f => Assert.Equal(LoggingApi.Filter(Region, "runtime", "ERROR", since), f));
        Assert.Contains("resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"runtime\"", _double.LogFilters.First(), StringComparison.Ordinal);
        Assert.Contains("severity>=ERROR AND timestamp>=\"", _double.LogFilters.First(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_ShowAJsonPayloadsMessage()
    {
        _double.AddLogEntry(Project, Region, "runtime", "runtime-00001-abc", "ERROR", TimeProvider.System.GetUtcNow().AddMinutes(-1), "", new System.Text.Json.Nodes.JsonObject { ["message"] = "panic in handler", ["code"] = 7 });

        var readout = await _connection.Platform.ReadLogsAsync(Runtime, new LogQuery(LogSeverity.Error, TimeProvider.System.GetUtcNow().AddMinutes(-10), 5), CancellationToken.None);

        Assert.Equal("panic in handler", Assert.Single(readout.First).Text);
    }
}
