using System.Net.Http.Headers;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Gate;

/// <summary>
/// What a gate check must not do with a secret or with what a service answers: send its bearer token to
/// another host or in cleartext off this machine, keep a cookie or a cut-off piece of a token in its log,
/// let an answer forge lines in the log or in SUMMARY.md. And the credentials a platform's service wants of
/// its callers (a private Cloud Run service's ID token): every request of a check of the lane carries them,
/// beside a check's own bearer token when it has one, no log shows them, a check of a written URL never gets them.
/// </summary>
public sealed class GateSecurityTests : IAsyncLifetime
{
    private const string Token = "abcd-1234-secret-token-value";
    private const string IdToken = "eyJhbGciOiJSUzI1NiJ9.the-services-id-token.signature";
    private static readonly SourcePos At = new(1, 1);
    private readonly Dictionary<string, string> _env = new(StringComparer.Ordinal) { ["TOKEN"] = Token };
    private readonly Redactor _redactor = new();
    private EngineHarness _h = null!;
    private LoopbackService _service = null!;
    private LoopbackService _other = null!;

    public async Task InitializeAsync()
    {
        _h = new EngineHarness();
        _service = await LoopbackService.StartAsync();
        _other = await LoopbackService.StartAsync();
        _h.Platform.BaseUrl = _service.Url;
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _other.DisposeAsync();
        _h.Dispose();
    }

    [Fact]
    public async Task APathThatNamesAnotherHost_IsRefused_AndTheTokenReachesNoOne()
    {
        _other.Answers["/x"] = (200, "ok", null);
        var path = $"//{_other.Url.Authority}/x";

        var failed = await Assert.ThrowsAsync<CheckFailed>(() => RunAsync(new HttpCheckSpec { Endpoint = new HttpEndpoint("api", "staging", path, null, At), TokenEnv = "TOKEN" }));

        Assert.Equal($"path '{path}' leads to http://{_other.Url.Authority}, not to the service at http://{_service.Url.Authority}; a path must stay on the lane's service", failed.Message);
        Assert.Empty(_other.Requests);
        Assert.Empty(_service.Requests);
    }

    [Fact]
    public async Task ATokenIsNeverSentInCleartext_ToAnotherMachine()
    {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): nothing answers there, and nothing is sent.
        var failed = await Assert.ThrowsAsync<CheckFailed>(() => RunAsync(new HttpCheckSpec { Endpoint = new HttpEndpoint(null, null, null, "http://192.0.2.1/health", At), TokenEnv = "TOKEN" }));

        Assert.Equal("the bearer token from $TOKEN was not sent: http://192.0.2.1 is plain http to another machine, where anyone on the way reads the credential; use https (http is for loopback only)", failed.Message);
    }

    [Fact]
    public async Task TheAnswersLog_NamesCredentialHeaders_WithoutTheirValues()
    {
        _service.Answers["/c"] = (200, "ok", "Set-Cookie: session=s3cr3t-cookie-value; HttpOnly");
        var log = Path.Combine(_h.Dir, "c.log");

        await RunAsync(Url("/c"), log);

        var text = File.ReadAllText(log);
        Assert.Contains("Set-Cookie: (value not logged: it may carry a credential)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATokenAcrossTheLogsCut_IsRedactedBeforeTheCut_SoNoPieceOfItSurvives()
    {
        _service.Answers["/long"] = (200, new string('x', 3990) + Token, null);
        var log = Path.Combine(_h.Dir, "long.log");

        await RunAsync(Url("/long") with { TokenEnv = "TOKEN" }, log);

        Assert.DoesNotContain(Token[..10], File.ReadAllText(log), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAnswersEscapeSequencesAndNewlines_AreShownEscaped_NotActedOn()
    {
        _service.Answers["/e"] = (500, "line one\n\u001b[2Jcleared\n=> passed: 200 from /e", null);
        var log = Path.Combine(_h.Dir, "e.log");

        var failed = await Assert.ThrowsAsync<CheckFailed>(() => RunAsync(Url("/e") with { Contains = "ok\n=> passed: forged" }, log));

        var text = File.ReadAllText(log);
        Assert.Contains("  line one\n  \\u001b[2Jcleared\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\n=> passed", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', text);
        Assert.Contains("/e answered 500, expected 200", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NewlinesAndPipesInAReason_StayInsideTheirCell_OfSummaryMd()
    {
        var dir = Path.Combine(_h.Dir, "evidence");
        Directory.CreateDirectory(dir);
        var forged = "no\n| `forged` | yes | passed | all good | [x](x) |\n\nEvery required check passed.";
        var report = new GateReport("staging", "production", "t`1", false,
            [new CheckResult("web", true, CheckStatus.Failed, "d", Path.Combine(dir, "web.log"), "GET /", forged, 1)], dir, "s", "e");

        EvidenceWriter.Write(report, new GateConfig { From = "staging", To = "production" }, _h.LoadedMatrix, _redactor);

        var summary = File.ReadAllLines(Path.Combine(dir, "SUMMARY.md"));
        Assert.DoesNotContain(summary, l => l.StartsWith("| `forged`", StringComparison.Ordinal));
        Assert.DoesNotContain("Every required check passed.", summary);
        Assert.Contains(summary, l => l.Contains(@"no\\n\| \`forged\` \| yes", StringComparison.Ordinal));
        Assert.Contains("- Tag: ``t`1``", summary);
        Assert.Single(File.ReadAllLines(Path.Combine(dir, "results.tsv")), l => l.StartsWith("web\t", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALaneCheck_CarriesTheInvokersIdToken_WhichTheLogNeverShows_EvenEchoed()
    {
        _h.Platform.Invoker = new AuthenticationHeaderValue("Bearer", IdToken);
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
        _h.Platform.Invoker = new AuthenticationHeaderValue("Bearer", IdToken);
        _service.Answers["/status"] = (200, "ok", null);

        await RunAsync(Lane("/status") with { TokenEnv = "TOKEN" });

        Assert.Equal($"GET /status auth=Bearer {Token} serverless=Bearer {IdToken}", Assert.Single(_service.Requests));
    }

    [Fact]
    public async Task ABudgetCheck_CarriesTheInvokersIdToken_OnEveryRequest()
    {
        _h.Platform.Invoker = new AuthenticationHeaderValue("Bearer", IdToken);
        _service.Answers["/"] = (200, "<html></html>", null);

        await RunAsync(new BudgetCheckSpec { Endpoint = new HttpEndpoint("api", "staging", "/", null, At), Samples = 3 });

        Assert.Equal(Enumerable.Repeat($"GET / auth=Bearer {IdToken}", 1 + 3), _service.Requests);
        Assert.Single(_h.Platform.InvokerUrls);
    }

    [Fact]
    public async Task ACheckOfAWrittenUrl_NeverCarriesTheInvokersIdToken()
    {
        _h.Platform.Invoker = new AuthenticationHeaderValue("Bearer", IdToken);
        _service.Answers["/healthz"] = (200, "ok", null);

        await RunAsync(Url("/healthz"));

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

    private static HttpCheckSpec Url(string path) => new() { Endpoint = new HttpEndpoint(null, null, null, path, At) };

    private static HttpCheckSpec Lane(string path) => new() { Endpoint = new HttpEndpoint("api", "staging", path, null, At) };

    private async Task<string> RunAsync(EndpointCheckSpec spec, string? log = null)
    {
        if (spec.Endpoint.Url is { } url && url.StartsWith('/'))
        {
            spec = spec with { Endpoint = spec.Endpoint with { Url = new Uri(_service.Url, url).ToString() } };
        }

        var target = new ResolvedTarget { Lane = "api", Environment = "staging", Platform = PlatformKind.Local, Service = "api", Rollout = RolloutPolicy.Default };
        return await GateCheckRun.RunAsync(_h, spec, _env, _redactor, log ?? Path.Combine(_h.Dir, "check.log"), (_, _, _) => target);
    }
}
