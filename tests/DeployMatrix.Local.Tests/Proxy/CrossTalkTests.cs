using System.Collections.Concurrent;
using System.Net;
using DeployMatrix.Core.Maintenance;
using DeployMatrix.Local.Proxy;
using DeployMatrix.Local.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace DeployMatrix.Local.Tests.Proxy;

/// <summary>
/// The reported attack on the earlier forwarder: with maintenance on, a request the proxy reads as an
/// allowed <c>/healthz</c> smuggles a blocked one to a slow revision over a pooled connection, and a later
/// client receives the smuggled answer. Here clients with a bypass cookie load a slow, credulous revision
/// while attackers send every smuggling shape: each client gets only its own answers, and the blocked path
/// never reaches the revision.
/// </summary>
public sealed class CrossTalkTests
{
    private const string Token = "Gw3xT9kQ2mV7pL4sN8rB1cZ6hJ0dF5yA3eU9iO2wK7q";
    private const string Secret = "/api/secret";

    private static readonly string[] Smuggles =
    [
        $"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 30\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\nGET {Secret} HTTP/1.1\r\nHost: a\r\n\r\n",
        $"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET {Secret} HTTP/1.1\r\nHost: a\r\n\r\n",
        $"POST /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\nGET {Secret} HTTP/1.1\r\nHost: a\r\n\r\n",
        $"GET\t{Secret} /healthz HTTP/1.1\r\nHost: a\r\n\r\n",
        $"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET {Secret} HTTP/1.1\r\nHost: a\r\n\r\n",
        $"POST /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2;\nxx\r\n45\r\n0\r\n\r\nGET {Secret} HTTP/1.1\r\nHost: a\r\n\r\n\r\n0\r\n\r\n",
        $"POST /healthz HTTP/1.1\r\nHost: a\r\nX-A: b\r\n Transfer-Encoding: chunked\r\nContent-Length: 30\r\n\r\n0\r\n\r\nGET {Secret} HTTP/1.1\r\nHost: a\r\n\r\n",
        $"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 38\r\n\r\nGET {Secret} HTTP/1.1\r\nHost: a\r\n\r\n",
        $"POST /healthz HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET {Secret} HTTP/1.1\r\nHost: a\r\n\r\n",
        $"POST /healthz HTTP/1.1\r\nHost: a\nContent-Length: 38\r\n\r\nGET {Secret} HTTP/1.1\r\nHost: a\r\n\r\n",
        $"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: content-length\r\nContent-Length: 38\r\n\r\nGET {Secret} HTTP/1.1\r\nHost: a\r\n\r\n",
    ];

    [Fact]
    public async Task SmugglingAttempts_UnderMaintenance_NeverReachTheBlockedPath_NorAnswerAnotherClient()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-26T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var backend = new NaiveBackend { Delay = TimeSpan.FromMilliseconds(20) };
        await using var proxy = await ServiceProxy.StartAsync("test", "svc", 0, ListenerSettings.Default, time, CancellationToken.None);
        proxy.SetWheel(TrafficWheel.Build([(new RevisionEndpoint("svc-00001-abc", backend.Port), 100)]));
        proxy.Maintenance = new MaintenanceGate(Token, "test/svc", "down", 60, time);
        var cookie = $"{BypassCookie.Name}={BypassCookie.Issue(Token, "test/svc", time.GetUtcNow())}";
        var wrong = new ConcurrentQueue<string>();

        var clients = Enumerable.Range(0, 6).Select(client => Task.Run(async () =>
        {
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, UseCookies = false, MaxConnectionsPerServer = 2 }) { Timeout = TimeSpan.FromSeconds(20) };
            for (var n = 0; n < 25; n++)
            {
                var path = $"/api/who?client={client}&n={n}";
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{proxy.Port}{path}");
                request.Headers.TryAddWithoutValidation("Cookie", cookie);
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK || body != $"GET {path} HTTP/1.1")
                {
                    wrong.Enqueue($"{path} got {(int)response.StatusCode} '{body}'");
                }
            }
        }));
        var attackers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            for (var round = 0; round < 5; round++)
            {
                foreach (var smuggle in Smuggles)
                {
                    await RawHttp.ExchangeAsync(proxy.Port, smuggle, TimeSpan.FromSeconds(1)).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }
        }));
        await Task.WhenAll(clients.Concat(attackers));

        Assert.Empty(wrong);
        Assert.DoesNotContain(backend.RequestLines, line => line.Contains(Secret, StringComparison.Ordinal));
        Assert.Equal(150, backend.RequestLines.Count(line => line.StartsWith("GET /api/who", StringComparison.Ordinal)));
    }
}
