using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Gate;

/// <summary>
/// The 'domain' and 'logs' gate checks, and where checks of a target with a domain go: its domain once the mapping is
/// ready, the service's URL while it is pending — and they say which.
/// </summary>
public sealed class DomainAndLogsCheckTests : IAsyncLifetime
{
    private const string Domain = "staging.example.com";
    private static readonly SourcePos At = new(1, 1);

    private static readonly string Matrix = EngineHarness.Matrix.Replace(
        "staging: { service: api-staging, job: api-migrate-staging }",
        $"staging: {{ service: api-staging, job: api-migrate-staging, domain: {Domain} }}", StringComparison.Ordinal);

    private readonly Redactor _redactor = new();
    private EngineHarness _h = null!;
    private LoopbackService _service = null!;
    private LoopbackService _domain = null!;

    public async Task InitializeAsync()
    {
        _h = new EngineHarness(Matrix);
        _service = await LoopbackService.StartAsync();
        _domain = await LoopbackService.StartAsync();
        foreach (var web in new[] { _service, _domain })
        {
            web.Answers["/healthz"] = (200, "ok", null);
        }

        _h.Platform.BaseUrl = _service.Url;
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _domain.DisposeAsync();
        _h.Dispose();
    }

    [Theory]
    [InlineData("False", "True", "the domain mapping staging.example.com is Ready=False")]
    [InlineData("True", "False", "the domain mapping staging.example.com is CertificateProvisioned=False")]
    public async Task Domain_Pending_FailsNamingWhatIsPending(string ready, string certificate, string expected)
    {
        _h.Platform.Domains[Domain] = ("api-staging", ready, certificate, _domain.Url);

        var failed = await Assert.ThrowsAsync<CheckFailed>(() => RunAsync(DomainCheck()));

        Assert.Equal($"{expected}; set the DNS records that 'gcloud beta run domain-mappings describe --domain staging.example.com' lists (the certificate follows them), then run the gate again", failed.Message);
    }

    [Fact]
    public async Task Domain_RoutingElsewhere_OrMissing_Fails_AndReady_Passes()
    {
        var missing = await Assert.ThrowsAsync<CheckFailed>(() => RunAsync(DomainCheck()));
        _h.Platform.Domains[Domain] = ("web-staging", "True", "True", _domain.Url);
        var elsewhere = await Assert.ThrowsAsync<CheckFailed>(() => RunAsync(DomainCheck()));
        _h.Platform.Domains[Domain] = ("api-staging", "True", "True", _domain.Url);

        Assert.Equal("no domain mapping for staging.example.com exists; map it: gcloud beta run domain-mappings create --service api-staging --domain staging.example.com", missing.Message);
        Assert.Equal("the domain mapping staging.example.com routes to web-staging, not to api-staging; map it to api-staging: gcloud beta run domain-mappings create --service api-staging --domain staging.example.com --force-override", elsewhere.Message);
        Assert.Equal("staging.example.com routes to api-staging, ready with its certificate provisioned", await RunAsync(DomainCheck()));
    }

    [Fact]
    public async Task Http_GoesToTheDomainWhenReady_AndToTheServiceUrlWhilePending_SayingWhich()
    {
        _h.Platform.Domains[Domain] = ("api-staging", "True", "False", _domain.Url);
        var pending = await RunAsync(Http());
        _h.Platform.Domains[Domain] = ("api-staging", "True", "True", _domain.Url);
        var ready = await RunAsync(Http());

        Assert.Equal("200 from /healthz via the service URL (the domain mapping staging.example.com is CertificateProvisioned=False)", pending);
        Assert.Equal("200 from /healthz via staging.example.com", ready);
        Assert.Single(_service.Requests);
        Assert.Single(_domain.Requests);
    }

    [Fact]
    public async Task AStagingDeploy_SmokesTheDomain_OnceItServes_AndTheReceiptSaysWhich()
    {
        _h.Platform.Seed("api-staging", "local://api@sha256:api-t1", "t1");
        Built("t2");
        Built("t3");
        _h.Platform.Domains[Domain] = ("api-staging", "False", "True", _domain.Url);

        var pending = await DeployAsync("t2");
        _h.Platform.Domains[Domain] = ("api-staging", "True", "True", _domain.Url);
        var ready = await DeployAsync("t3");

        Assert.True(pending.Ok && ready.Ok, pending.Error ?? ready.Error);
        Assert.Equal(["smoke-check", "set-traffic", "smoke-check"], pending.Steps.Select(s => s.Kind).Where(k => k is "smoke-check" or "set-traffic"));
        Assert.EndsWith("via the service URL (the domain mapping staging.example.com is Ready=False)", pending.Steps.Last(s => s.Kind == "smoke-check").Detail, StringComparison.Ordinal);
        Assert.EndsWith("via staging.example.com", ready.Steps.Last(s => s.Kind == "smoke-check").Detail, StringComparison.Ordinal);
        Assert.Equal(("staging.example.com", "pending: the domain mapping staging.example.com is Ready=False", "service URL"),
            (pending.Facts["domain"], pending.Facts["domain_status"], pending.Facts["smoke_via"]));
        Assert.Equal(("ready", "staging.example.com"), (ready.Facts["domain_status"], ready.Facts["smoke_via"]));
        Assert.Contains("\"domain_status\": \"ready\"", File.ReadAllText(ready.ReceiptPath!), StringComparison.Ordinal);
        Assert.Equal(["GET /healthz auth="], _domain.Requests.Select(r => r.Trim()).Distinct());
    }

    [Fact]
    public async Task Logs_AboveMax_FailShowingTheFirstEntriesRedacted_AndEntriesBeforeTheWindowDoNotCount()
    {
        var now = TimeProvider.System.GetUtcNow();
        _redactor.Add("s3cr3t-value");
        _h.Platform.Logs["api-staging"] =
        [
            new LogEntry(now.AddMinutes(-30), LogSeverity.Critical, "api-staging-1", "long ago"),
            new LogEntry(now.AddMinutes(-3), LogSeverity.Error, "api-staging-2", "db refused password s3cr3t-value"),
            new LogEntry(now.AddMinutes(-2), LogSeverity.Warning, "api-staging-2", "slow"),
        ];

        var passes = await RunAsync(Logs() with { Max = 1 });
        var failed = await Assert.ThrowsAsync<CheckFailed>(() => RunAsync(Logs()));
        var wide = await Assert.ThrowsAsync<CheckFailed>(() => RunAsync(Logs() with { Window = TimeSpan.FromHours(1) }));

        Assert.StartsWith("1 entries ERROR or worse since ", passes, StringComparison.Ordinal);
        Assert.EndsWith("(at most 1)", passes, StringComparison.Ordinal);
        Assert.StartsWith("1 log entries of api-staging ERROR or worse since ", failed.Message, StringComparison.Ordinal);
        Assert.Contains(", more than 0; first: ", failed.Message, StringComparison.Ordinal);
        Assert.Contains("ERROR api-staging-2: db refused password ***", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", failed.Message, StringComparison.Ordinal);
        Assert.StartsWith("2 log entries", wide.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_AndDomain_WithoutAPlatform_AreSkipped()
    {
        _h.PlatformReachable = false;
        var services = GateServices.Of(_h.Workspace, null);
        var context = new CheckContext(services, Path.Combine(_h.Dir, "x.log"));

        await Assert.ThrowsAsync<CheckSkipped>(() => GateChecks.For(Logs()).RunAsync(Logs(), context, CancellationToken.None));
        await Assert.ThrowsAsync<CheckSkipped>(() => GateChecks.For(DomainCheck()).RunAsync(DomainCheck(), context, CancellationToken.None));
    }

    private static LaneCheckSpec DomainCheck() => new(LaneCheckSpec.Domain, "api", "staging", At);

    private static LogsCheckSpec Logs() => new("api", "staging", At);

    private static HttpCheckSpec Http() => new() { Endpoint = new HttpEndpoint("api", "staging", "/healthz", null, At) };

    private Task<string> RunAsync(CheckSpec spec) =>
        GateCheckRun.RunAsync(_h, spec, new Dictionary<string, string>(), _redactor, Path.Combine(_h.Dir, "check.log"), (lane, env, region) => _h.Workspace.Resolve(lane, env, region));

    private void Built(string tag)
    {
        _h.State.BindTag("local", "api", tag, $"sha256:api-{tag}", $"local://api@sha256:api-{tag}");
        _h.Platform.Images[$"local://api:{tag}"] = $"local://api@sha256:api-{tag}";
    }

    private Task<Engine.Execution.ExecutionResult> DeployAsync(string tag) =>
        new DeployOperation(_h.Workspace).RunAsync("api", "staging", tag, noTraffic: false, new ChangeOptions(), _h.Reporter, CancellationToken.None);
}
