using System.Globalization;
using System.Net;
using DeployMatrix.Core.Maintenance;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Local.Supervisor;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Local.Tests.Proxy;

/// <summary>
/// On Cloud Run no proxy of ours stands in front: the service keeps maintenance mode itself from the
/// environment DeployMatrix gives it. The example's real Rust service must keep the same contract as
/// the proxy — cookies it issues are valid by <see cref="BypassCookie"/>, cookies signed here pass it,
/// and forged, moved or expired ones do not.
/// </summary>
public sealed class ServiceMaintenanceContractTests : IAsyncLifetime
{
    private const string Token = "c0ntractT0ken-9a77_Qx4vB8nM2kL6pR0sT3wY5zA1"; // 43 base64url characters, as BypassCookie.NewToken makes
    private const string Scope = "production/openagents-control-service";
    private readonly TempDir _dir = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private ChildProcess _service = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        _port = TestPorts.Free();
        _service = await StartAsync(_dir, _port, Token);
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _http.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task TheService_Answers503_IssuesCookiesTheProxyAccepts_AndAcceptsCookiesSignedHere()
    {
        using (var blocked = await GetAsync("/api/v1/control/status"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, blocked.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(45), blocked.Headers.RetryAfter!.Delta);
            Assert.Equal("ledger migration\n", await blocked.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(BypassCookie.Path, (BypassCookie.TokenHeader, "guess"))).StatusCode);

        using var bypass = await GetAsync(BypassCookie.Path, (BypassCookie.TokenHeader, Token));
        var setCookie = Assert.Single(bypass.Headers.GetValues("Set-Cookie"));
        Assert.Equal(HttpStatusCode.NoContent, bypass.StatusCode);
        Assert.Matches(@"^deploymatrix_bypass=\d+\.[A-Za-z0-9_-]{43}; Max-Age=900; Path=/; Secure; HttpOnly; SameSite=Strict$", setCookie);
        var issued = setCookie.Split(';')[0]["deploymatrix_bypass=".Length..];
        Assert.True(BypassCookie.IsValid(Token, Scope, issued, TimeProvider.System.GetUtcNow()), $"the service's cookie {issued} is not valid by the proxy's rules");
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/api/v1/control/status", ("Cookie", $"a=b; deploymatrix_bypass={issued}"))).StatusCode);

        var signedHere = BypassCookie.Issue(Token, Scope, TimeProvider.System.GetUtcNow());
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/api/v1/control/status", ("Cookie", $"deploymatrix_bypass={signedHere}"))).StatusCode);
        foreach (var refused in new[]
        {
            BypassCookie.Issue(Token, "staging/openagents-control-service", TimeProvider.System.GetUtcNow()), // another scope
            BypassCookie.Issue(BypassCookie.NewToken(), Scope, TimeProvider.System.GetUtcNow()),
            BypassCookie.Issue(Token, Scope, TimeProvider.System.GetUtcNow().AddSeconds(-901)),               // expired
            signedHere[..^2] + "AA",
        })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await GetAsync("/api/v1/control/status", ("Cookie", $"deploymatrix_bypass={refused}"))).StatusCode);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("short-token")]
    public async Task WithAnEmptyOrShortToken_TheServiceKeepsTheMaintenancePage_AndLetsNobodyThrough(string token)
    {
        // It used to take a missing token for "not in maintenance" and serve everyone: it must fail closed.
        using var dir = new TempDir();
        var port = TestPorts.Free();
        await using var service = await StartAsync(dir, port, token);
        var expires = TimeProvider.System.GetUtcNow().AddSeconds(600).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var emptyKeyCookie = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token), System.Text.Encoding.UTF8.GetBytes($"{Scope}:{expires}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(port, "/api/v1/control/status"));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(port, BypassCookie.Path, (BypassCookie.TokenHeader, token)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(port, "/api/v1/control/status", ("Cookie", $"deploymatrix_bypass={expires}.{emptyKeyCookie}")));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(port, "/healthz"));
    }

    [Fact]
    public async Task ACookieClaimingMoreThan900Seconds_IsRefused_EvenSignedWithTheToken()
    {
        var expires = TimeProvider.System.GetUtcNow().AddDays(365).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Token), System.Text.Encoding.UTF8.GetBytes($"{Scope}:{expires}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(_port, "/api/v1/control/status", ("Cookie", $"deploymatrix_bypass={expires}.{signature}")));
    }

    private static async Task<ChildProcess> StartAsync(TempDir dir, int port, string token)
    {
        var service = new ProcessRunner(TimeProvider.System).Start(new LaunchSpec { Executable = ExampleBinaries.ControlService, WorkingDirectory = dir.Path }.Process(new Dictionary<string, string>
        {
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["DEPLOYMATRIX_MAINTENANCE"] = "1",
            ["DEPLOYMATRIX_MAINTENANCE_MESSAGE"] = "ledger migration",
            ["DEPLOYMATRIX_MAINTENANCE_RETRY_AFTER"] = "45",
            ["DEPLOYMATRIX_MAINTENANCE_SCOPE"] = Scope,
            ["DEPLOYMATRIX_MAINTENANCE_TOKEN"] = token,
        }, Path.Combine(dir.Path, "service.log"), TimeSpan.FromSeconds(5), TimeProvider.System));
        Assert.Null(await Readiness.WaitAsync(service, port, "/readyz", DeployMatrix.Core.Model.ServingProtocol.Http1, TimeSpan.FromSeconds(20), TimeProvider.System, CancellationToken.None));
        return service;
    }

    private async Task<HttpStatusCode> StatusAsync(int port, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _http.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<HttpResponseMessage> GetAsync(string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_port}{path}");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await _http.SendAsync(request);
    }
}
