using System.Net;
using DeployMatrix.Core.Maintenance;
using DeployMatrix.FunctionalTests.Support;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>
/// <c>maintenance</c> on the local platform, end to end: the example's real service behind the agent's
/// proxy, the bypass token in a 0600 file and never in any output, traffic changes refused meanwhile,
/// and everything audited.
/// </summary>
public sealed class MaintenanceTests : ExampleTest
{
    protected override ExampleStage Stage => ExampleStage.Agent;

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Enable_Answers503_ButHealthAndBypassCookieHolders_ThenDisable_ServesAgain()
    {
        var deploy = Example.Cli("deploy", "runtime", "--env", "staging", "--tag", "t1");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var url = $"http://127.0.0.1:{Example.Ports["runtime-staging"]}";

        var enable = Example.Cli("maintenance", "enable", "runtime", "--env", "staging", "--message", "migrating the ledger", "--retry-after", "60");
        try
        {
            Assert.True(enable.ExitCode == 0, enable.ToString());
            var tokenFile = Path.Combine(Example.Dir, ".deploymatrix", "secrets", "maintenance", "staging", "runtime-staging.token");
            var token = File.ReadAllText(tokenFile).Trim();
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
            Assert.DoesNotContain(token, enable.Out + enable.Err, StringComparison.Ordinal);
            Assert.Contains(Path.Combine("secrets", "maintenance", "staging", "runtime-staging.token"), enable.Out, StringComparison.Ordinal);

            using (var blocked = await Http.GetAsync(new Uri($"{url}/api/v1/runtime/status")))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, blocked.StatusCode);
                Assert.Equal("migrating the ledger\n", await blocked.Content.ReadAsStringAsync());
                Assert.Equal(TimeSpan.FromSeconds(60), blocked.Headers.RetryAfter!.Delta);
            }

            Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri($"{url}/healthz"))).StatusCode);
            using var bypass = new HttpRequestMessage(HttpMethod.Get, $"{url}{BypassCookie.Path}") { Headers = { { BypassCookie.TokenHeader, token } } };
            var cookie = (await Http.SendAsync(bypass)).Headers.GetValues("Set-Cookie").Single().Split(';')[0];
            using var through = new HttpRequestMessage(HttpMethod.Get, $"{url}/api/v1/runtime/status") { Headers = { { "Cookie", cookie } } };
            Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(through)).StatusCode);

            Assert.Contains("MAINTENANCE since", Example.Cli("status", "runtime", "--env", "staging").Out, StringComparison.Ordinal);
            var status = Example.Cli("maintenance", "status", "runtime", "--env", "staging");
            Assert.Contains("in maintenance since", status.Out, StringComparison.Ordinal);
            Assert.Contains("\"migrating the ledger\"", status.Out, StringComparison.Ordinal);

            // Traffic stays where it is until maintenance ends; migrations may run.
            var refused = Example.Cli("rollback", "runtime", "--env", "staging");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("is in maintenance since", refused.Err, StringComparison.Ordinal);
            Assert.Contains("deploymatrix maintenance disable runtime --env staging", refused.Err, StringComparison.Ordinal);
            var again = Example.Cli("maintenance", "enable", "runtime", "--env", "staging");
            Assert.Contains("already in maintenance", again.Out, StringComparison.Ordinal);

            // An agent killed with SIGKILL comes back still in maintenance, and the cookie still works.
            var pid = int.Parse(File.ReadAllText(Path.Combine(Example.Dir, ".deploymatrix", "agent.pid")), System.Globalization.CultureInfo.InvariantCulture);
            System.Diagnostics.Process.GetProcessById(pid).Kill();
            await Task.Delay(300);
            Assert.Equal(0, Example.Cli("agent", "start").ExitCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Http.GetAsync(new Uri($"{url}/api/v1/runtime/status"))).StatusCode);
            using var afterRestart = new HttpRequestMessage(HttpMethod.Get, $"{url}/api/v1/runtime/status") { Headers = { { "Cookie", cookie } } };
            Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(afterRestart)).StatusCode);
        }
        finally
        {
            var disable = Example.Cli("maintenance", "disable", "runtime", "--env", "staging");
            Assert.True(disable.ExitCode == 0, disable.ToString());
        }

        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri($"{url}/api/v1/runtime/status"))).StatusCode);
        Assert.Contains("serving (not in maintenance)", Example.Cli("maintenance", "status", "runtime", "--env", "staging").Out, StringComparison.Ordinal);
        var history = Example.Cli("history", "runtime").Out;
        Assert.Contains("maintenance-enable", history, StringComparison.Ordinal);
        Assert.Contains("maintenance-disable", history, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AZeroByteTokenFile_IsReplacedOnEnable_AndEachEnableRevokesTheCookiesOfTheLast()
    {
        Assert.Equal(0, Example.Cli("deploy", "runtime", "--env", "staging", "--tag", "t1").ExitCode);
        var url = $"http://127.0.0.1:{Example.Ports["runtime-staging"]}";
        var tokenFile = Path.Combine(Example.Dir, ".deploymatrix", "secrets", "maintenance", "staging", "runtime-staging.token");
        Directory.CreateDirectory(Path.GetDirectoryName(tokenFile)!);
        File.WriteAllBytes(tokenFile, []); // what an interrupted first enable left

        try
        {
            Assert.Equal(0, Example.Cli("maintenance", "enable", "runtime", "--env", "staging").ExitCode);
            var first = File.ReadAllText(tokenFile);
            Assert.Matches("^[A-Za-z0-9_-]{43}$", first);
            Assert.Equal(HttpStatusCode.Forbidden, (await BypassAsync(url, "")).StatusCode);
            var cookie = (await BypassAsync(url, first)).Headers.GetValues("Set-Cookie").Single().Split(';')[0];
            Assert.Equal(HttpStatusCode.OK, await StatusWithCookieAsync(url, cookie));

            Assert.Equal(0, Example.Cli("maintenance", "disable", "runtime", "--env", "staging").ExitCode);
            Assert.Equal(0, Example.Cli("maintenance", "enable", "runtime", "--env", "staging").ExitCode);

            var second = File.ReadAllText(tokenFile);
            Assert.NotEqual(first, second);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusWithCookieAsync(url, cookie)); // the earlier maintenance's cookie is dead
            Assert.Equal(HttpStatusCode.Forbidden, (await BypassAsync(url, first)).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await BypassAsync(url, second)).StatusCode);
        }
        finally
        {
            Example.Cli("maintenance", "disable", "runtime", "--env", "staging");
        }
    }

    private static async Task<HttpResponseMessage> BypassAsync(string url, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{url}{BypassCookie.Path}");
        request.Headers.TryAddWithoutValidation(BypassCookie.TokenHeader, token);
        return await Http.SendAsync(request);
    }

    private static async Task<HttpStatusCode> StatusWithCookieAsync(string url, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{url}/api/v1/runtime/status") { Headers = { { "Cookie", cookie } } };
        using var response = await Http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public void Enable_OnAServiceNeverDeployed_IsOneLine_AndChangesNothing()
    {
        // This workspace never deployed the served binary lane to production.
        var run = Example.Cli("maintenance", "enable", "lightning-wallet-executor", "--env", "production");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("deploymatrix: lightning-wallet-executor has not been deployed to production; deploy it first", run.Err.Trim());
        Assert.Contains("serving (not in maintenance)", Example.Cli("maintenance", "status", "lightning-wallet-executor", "--env", "production").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void ARetryAfterOutOfRange_IsBadInput()
    {
        var run = Example.Cli("maintenance", "enable", "runtime", "--env", "staging", "--retry-after", "0");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--retry-after 0 is out of range", run.Err, StringComparison.Ordinal);
    }
}
