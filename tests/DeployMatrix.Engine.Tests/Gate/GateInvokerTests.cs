using System.Net.Http.Headers;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Gate;

/// <summary>
/// The gate's checks of a lane on a platform whose service wants credentials of its callers (a private
/// Cloud Run service's ID token): every request carries them, beside a check's own bearer token when it has
/// one, and no log shows them; a check of a written URL never gets them.
/// </summary>
public sealed class GateInvokerTests : IAsyncLifetime
{
    private const string IdToken = "eyJhbGciOiJSUzI1NiJ9.the-services-id-token.signature";
    private const string Token = "abcd-1234-secret-token-value";
    private static readonly SourcePos At = new(1, 1);
    private readonly Dictionary<string, string> _env = new(StringComparer.Ordinal) { ["TOKEN"] = Token };
    private readonly Redactor _redactor = new();
    private EngineHarness _h = null!;
    private LoopbackService _service = null!;

    public async Task InitializeAsync()
    {
        _h = new EngineHarness();
        _service = await LoopbackService.StartAsync();
        _h.Platform.BaseUrl = _service.Url;
        _h.Platform.Invoker = new AuthenticationHeaderValue("Bearer", IdToken);
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _h.Dispose();
    }

    [Fact]
    public async Task ALaneCheck_CarriesTheInvokersIdToken_WhichTheLogNeverShows_EvenEchoed()
    {
        _service.Answers["/readyz"] = (200, $"you sent {IdToken}", null);
        var log = Path.Combine(_h.Dir, "readyz.log");

        await RunAsync(Lane("/readyz"), log);

        Assert.Equal($"GET /readyz auth=Bearer {IdToken}", Assert.Single(_service.Requests));
        Assert.Equal([new Uri(_service.Url, "/readyz")], _h.Platform.InvokerUrls);
        var text = File.ReadAllText(log);
        Assert.Contains($"GET {new Uri(_service.Url, "/readyz")} with the service's invoker ID token", text, StringComparison.Ordinal);
        Assert.Contains("you sent ***", text, StringComparison.Ordinal);
        Assert.DoesNotContain("the-services-id-token", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACheckWithABearerTokenOfItsOwn_SendsTheIdTokenInXServerlessAuthorization()
    {
        _service.Answers["/status"] = (200, "ok", null);

        await RunAsync(Lane("/status") with { TokenEnv = "TOKEN" });

        Assert.Equal($"GET /status auth=Bearer {Token} serverless=Bearer {IdToken}", Assert.Single(_service.Requests));
    }

    [Fact]
    public async Task ABudgetCheck_CarriesItOnEveryRequest()
    {
        _service.Answers["/"] = (200, "<html></html>", null);

        await RunAsync(new BudgetCheckSpec { Endpoint = new HttpEndpoint("api", "staging", "/", null, At), Samples = 3 });

        Assert.Equal(Enumerable.Repeat($"GET / auth=Bearer {IdToken}", 1 + 3), _service.Requests);
        Assert.Single(_h.Platform.InvokerUrls);
    }

    [Fact]
    public async Task ACheckOfAWrittenUrl_NeverCarriesIt()
    {
        _service.Answers["/healthz"] = (200, "ok", null);

        await RunAsync(new HttpCheckSpec { Endpoint = new HttpEndpoint(null, null, null, new Uri(_service.Url, "/healthz").ToString(), At) });

        Assert.Equal("GET /healthz auth=", Assert.Single(_service.Requests));
        Assert.Empty(_h.Platform.InvokerUrls);
    }

    [Fact]
    public async Task CredentialsThePlatformCannotMake_SkipTheCheck_WithItsReason_AndSendNothing()
    {
        _h.Platform.InvokerRefused = "Cloud Run service api requires authentication (no roles/run.invoker for allUsers), and user credentials cannot mint the ID token it takes; use a service account";

        var skipped = await Assert.ThrowsAsync<CheckSkipped>(() => RunAsync(Lane("/readyz")));

        Assert.Equal(_h.Platform.InvokerRefused, skipped.Message);
        Assert.Empty(_service.Requests);
    }

    private static HttpCheckSpec Lane(string path) => new() { Endpoint = new HttpEndpoint("api", "staging", path, null, At) };

    private async Task<string> RunAsync(CheckSpec spec, string? log = null)
    {
        var target = new ResolvedTarget { Lane = "api", Environment = "staging", Platform = PlatformKind.CloudRun, Service = "api", Rollout = RolloutPolicy.Default };
        return await GateCheckRun.RunAsync(_h, spec, _env, _redactor, log ?? Path.Combine(_h.Dir, "check.log"), (_, _) => target);
    }
}
