using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using DeployMatrix.Core.Maintenance;
using DeployMatrix.Local.Maintenance;
using DeployMatrix.Local.Tests.Support;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Local.Tests.Agent;

/// <summary>
/// The agent puts its proxy in maintenance with the token it reads from the service's file: a damaged
/// file leaves nobody a way through (fail closed), a rotated one turns earlier cookies away.
/// </summary>
public sealed class AgentMaintenanceTests
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task AZeroByteTokenFile_LetsNobodyThrough_NotTheEmptyTokenNorACookieSignedWithTheEmptyKey()
    {
        await using var h = new AgentHarness();
        var port = TestPorts.Free();
        var revision = await h.DeployControlAsync("svc", port);
        await h.SplitAsync("svc", (revision.Name, 100));
        var tokenFile = h.Paths.MaintenanceToken("staging", "svc");
        Directory.CreateDirectory(Path.GetDirectoryName(tokenFile)!);
        File.WriteAllBytes(tokenFile, []); // what an interrupted first enable left
        h.State.SetMaintenance(new MaintenanceRecord("staging", "svc", "control", "local", "2026-11-26T12:00:00Z", "test", "down", 60, null));

        h.Agent.ApplyMaintenance("staging", "svc");

        var expires = TimeProvider.System.GetUtcNow().AddYears(5).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var forged = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(""), Encoding.UTF8.GetBytes($"staging/svc:{expires}"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(port, BypassCookie.Path, (BypassCookie.TokenHeader, "")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(port, "/api/v1/control/status", ("Cookie", $"{BypassCookie.Name}={expires}.{forged}")));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(port, "/healthz"));

        // The next enable writes a real token; then (and only with it) the bypass works.
        MaintenanceTokenFile.Rotate(tokenFile);
        h.Agent.ApplyMaintenance("staging", "svc");
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(port, BypassCookie.Path, (BypassCookie.TokenHeader, "")));
        Assert.Equal(HttpStatusCode.NoContent, await StatusAsync(port, BypassCookie.Path, (BypassCookie.TokenHeader, File.ReadAllText(tokenFile))));
    }

    private static async Task<HttpStatusCode> StatusAsync(int port, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await Http.SendAsync(request);
        return response.StatusCode;
    }
}
