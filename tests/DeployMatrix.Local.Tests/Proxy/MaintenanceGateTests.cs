using System.Net;
using DeployMatrix.Core.Maintenance;
using DeployMatrix.Local.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace DeployMatrix.Local.Tests.Proxy;

/// <summary>
/// Maintenance mode in the proxy, with a real upstream (Kestrel) and real HTTP: 503 with Retry-After,
/// health probes through, the bypass token traded for a signed cookie that lets requests through until
/// it expires — and nothing else (a forged, moved, expired or tampered cookie gets the 503).
/// </summary>
public sealed class MaintenanceGateTests : IAsyncLifetime
{
    private const string Token = "Gw3xT9kQ2mV7pL4sN8rB1cZ6hJ0dF5yA3eU9iO2wK7q"; // 43 base64url characters, as BypassCookie.NewToken makes
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-26T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(20) };
    private WebApplication _upstream = null!;
    private ServiceProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _upstream = builder.Build();
        _upstream.MapGet("/healthz", () => "healthy");
        _upstream.MapGet("/readyz", () => "ready");
        _upstream.MapGet("/api/orders", () => "orders");
        await _upstream.StartAsync();
        _proxy = await ServiceProxy.StartAsync("staging", "svc", 0, CancellationToken.None);
        _proxy.SetWheel(TrafficWheel.Build([(new RevisionEndpoint("svc-00001-abc", new Uri(_upstream.Urls.First()).Port), 100)]));
        _proxy.Maintenance = new MaintenanceGate(Token, "staging/svc", "down for a schema change", 120, _time);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Requests_Get503WithRetryAfter_WhileHealthProbesStillReachTheService()
    {
        using var blocked = await GetAsync("/api/orders?x=1");
        using var health = await GetAsync("/healthz");
        using var ready = await GetAsync("/readyz?verbose=1");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, blocked.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(120), blocked.Headers.RetryAfter!.Delta);
        Assert.Equal("down for a schema change\n", await blocked.Content.ReadAsStringAsync());
        Assert.Equal("healthy", await health.Content.ReadAsStringAsync());
        Assert.Equal("ready", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheToken_BuysACookie_ThatLetsRequestsThrough_For900Seconds()
    {
        using var bypass = await GetAsync(BypassCookie.Path, (BypassCookie.TokenHeader, Token));
        var setCookie = Assert.Single(bypass.Headers.GetValues("Set-Cookie"));
        var cookie = setCookie.Split(';')[0];

        Assert.Equal(HttpStatusCode.NoContent, bypass.StatusCode);
        Assert.Matches(@"^deploymatrix_bypass=\d+\.[A-Za-z0-9_-]{43}; Max-Age=900; Path=/; Secure; HttpOnly; SameSite=Strict$", setCookie);
        Assert.DoesNotContain(Token, setCookie, StringComparison.Ordinal);
        using (var through = await GetAsync("/api/orders", ("Cookie", $"theme=dark; {cookie}")))
        {
            Assert.Equal("orders", await through.Content.ReadAsStringAsync());
        }

        _time.Advance(TimeSpan.FromSeconds(899));
        using (var stillThrough = await GetAsync("/api/orders", ("Cookie", cookie)))
        {
            Assert.Equal(HttpStatusCode.OK, stillThrough.StatusCode);
        }

        _time.Advance(TimeSpan.FromSeconds(2));
        using var expired = await GetAsync("/api/orders", ("Cookie", cookie));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, expired.StatusCode);
    }

    [Fact]
    public async Task AWrongToken_IsRefused_AndForgedMovedOrStretchedCookiesGetThe503()
    {
        using var wrong = await GetAsync(BypassCookie.Path, (BypassCookie.TokenHeader, Token + "x"));
        using var none = await GetAsync(BypassCookie.Path);
        var valid = BypassCookie.Issue(Token, "staging/svc", _time.GetUtcNow());
        var expires = long.Parse(valid.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);
        var forged = new[]
        {
            BypassCookie.Issue(BypassCookie.NewToken(), "staging/svc", _time.GetUtcNow()), // signed with a guessed token
            BypassCookie.Issue(Token, "production/svc", _time.GetUtcNow()),       // another service's cookie
            $"{expires + 86400}.{valid.Split('.')[1]}",                             // expiry pushed out, old signature
            valid[..^2] + "AA",                                                      // signature bytes changed
            "not-a-cookie",
            $"{expires + 86400}.{Sign(Token, "staging/svc", expires + 86400)}",  // signed with the token, but claiming a day
            $"{expires + 86400}.{Sign("", "staging/svc", expires + 86400)}",     // signed with the empty key
        };

        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, none.StatusCode);
        foreach (var cookie in forged)
        {
            using var response = await GetAsync("/api/orders", ("Cookie", $"{BypassCookie.Name}={cookie}"));
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, cookie);
        }
    }

    [Theory]
    [InlineData(null)] // no usable token file
    [InlineData("")]   // a zero-byte token file
    public async Task WithNoToken_NobodyGetsThrough_NotEvenWithAnEmptyHeaderOrAnEmptyKeyCookie(string? token)
    {
        _proxy.Maintenance = new MaintenanceGate(token, "staging/svc", "down for a schema change", 120, _time);
        var expires = _time.GetUtcNow().AddYears(5).ToUnixTimeSeconds();

        using var empty = await GetAsync(BypassCookie.Path, (BypassCookie.TokenHeader, ""));
        using var forged = await GetAsync("/api/orders", ("Cookie", $"{BypassCookie.Name}={expires}.{Sign("", "staging/svc", expires)}"));
        using var health = await GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.Forbidden, empty.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task ACookieForOneService_IsRefusedByAnother_EvenUnderTheSameToken()
    {
        // Browsers send 127.0.0.1's cookies to every port: what keeps them apart is the service signed into them.
        var forA = BypassCookie.Issue(Token, "staging/a", _time.GetUtcNow());
        _proxy.Maintenance = new MaintenanceGate(Token, "staging/b", "down", 120, _time);

        using var response = await GetAsync("/api/orders", ("Cookie", $"{BypassCookie.Name}={forA}"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task TurningMaintenanceOff_ServesEveryoneAgain()
    {
        _proxy.Maintenance = null;

        using var response = await GetAsync("/api/orders");

        Assert.Equal("orders", await response.Content.ReadAsStringAsync());
    }

    private async Task<HttpResponseMessage> GetAsync(string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_proxy.Port}{path}");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await _client.SendAsync(request);
    }

    /// <summary>A signature computed here from the published construction, as a forger would.</summary>
    private static string Sign(string key, string scope, long expires) =>
        Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key), System.Text.Encoding.UTF8.GetBytes($"{scope}:{expires}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
