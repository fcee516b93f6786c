using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using DeployMatrix.Local.Proxy;
using DeployMatrix.Local.Tests.Support;
using DeployMatrix.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace DeployMatrix.Local.Tests.Proxy;

/// <summary>
/// The forwarder against a real HTTP server (Kestrel) and real clients (HttpClient, raw sockets,
/// ClientWebSocket): every way an HTTP/1.1 message can be framed goes through unchanged.
/// </summary>
public sealed class ServiceProxyTests : IAsyncLifetime
{
    private readonly Held _held = new();
    private WebApplication _upstream = null!;
    private ServiceProxy _proxy = null!;
    private RevisionEndpoint _endpoint = null!;
    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };

    private Uri Url(string path) => new($"http://127.0.0.1:{_proxy.Port}{path}");

    public async Task InitializeAsync()
    {
        _upstream = await StartUpstreamAsync(0);
        _endpoint = new RevisionEndpoint("rev-1", Port(_upstream));
        _proxy = await ServiceProxy.StartAsync("test", "svc", 0, CancellationToken.None);
        _proxy.SetWheel(TrafficWheel.Build([(_endpoint, 100)]));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private static int Port(WebApplication app) => new Uri(app.Urls.First()).Port;

    private Task<WebApplication> StartUpstreamAsync(int port) => StartUpstreamAsync(port, _held);

    private static async Task<WebApplication> StartUpstreamAsync(int port, Held held)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.UseWebSockets();
        app.MapPost("/echo", async (HttpContext c) =>
        {
            using var body = new MemoryStream();
            await c.Request.Body.CopyToAsync(body);
            c.Response.Headers["x-request-length"] = c.Request.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "chunked";
            if (c.Request.Query.ContainsKey("chunked"))
            {
                // No length given: Kestrel answers chunked, in two flushes.
                await c.Response.Body.WriteAsync(body.ToArray().AsMemory(0, (int)body.Length / 2));
                await c.Response.Body.FlushAsync();
                await c.Response.Body.WriteAsync(body.ToArray().AsMemory((int)body.Length / 2));
            }
            else
            {
                c.Response.ContentLength = body.Length;
                await c.Response.Body.WriteAsync(body.ToArray());
            }
        });
        app.MapMethods("/hello", ["GET", "HEAD"], () => "hello");
        app.MapGet("/headers", (HttpContext c) =>
        {
            var text = System.Text.Encoding.UTF8.GetBytes(string.Join("\n", c.Request.Headers.Select(h => $"{h.Key}: {h.Value}")).ToLowerInvariant());
            c.Response.ContentLength = text.Length;
            return c.Response.Body.WriteAsync(text).AsTask();
        });
        app.MapGet("/held", async () =>
        {
            held.Entered.TrySetResult();
            await held.Release.Task;
            return "held";
        });
        app.MapGet("/empty", (HttpContext c) => c.Response.StatusCode = 204);
        app.Map("/ws", async (HttpContext c) =>
        {
            using var socket = await c.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            await socket.SendAsync(buffer.AsMemory(0, received.Count), WebSocketMessageType.Text, true, CancellationToken.None);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        });
        await app.StartAsync();
        return app;
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(5, false)]
    [InlineData(3 * 1024 * 1024, false)]
    [InlineData(5, true)]
    [InlineData(3 * 1024 * 1024, true)]
    public async Task Bodies_WithALength_GoThroughWhole_InBothDirections(int size, bool chunkedResponse)
    {
        var payload = Enumerable.Range(0, size).Select(i => (byte)(i % 251)).ToArray();

        using var response = await _client.PostAsync(Url(chunkedResponse ? "/echo?chunked" : "/echo"), new ByteArrayContent(payload));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(chunkedResponse && size > 0, response.Headers.TransferEncodingChunked == true);
    }

    [Fact]
    public async Task ChunkedRequestBodies_GoThroughWhole()
    {
        var payload = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("streamed without a length. ", 20_000)));
        // A stream of unknown length makes HttpClient send the body chunked.
        using var content = new StreamContent(new NonSeekableStream(payload));

        using var response = await _client.PostAsync(Url("/echo"), content);

        Assert.Equal("chunked", response.Headers.GetValues("x-request-length").Single());
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ExpectContinue_IsAnswered_AndTheBodyArrives()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url("/echo")) { Content = new StringContent("after the interim answer") };
        request.Headers.ExpectContinue = true;

        using var response = await _client.SendAsync(request);

        Assert.Equal("after the interim answer", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HeadAndNoContentAnswers_CarryNoBody_AndTheConnectionStaysUsable()
    {
        using var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url("/hello")));
        using var empty = await _client.GetAsync(Url("/empty"));
        var after = await _client.GetStringAsync(Url("/hello"));

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);
        Assert.Equal("hello", after);
    }

    [Fact]
    public async Task PipelinedRequests_AreAnsweredInOrder_OnOneConnection()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _proxy.Port);
        var two = "GET /hello HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nConnection: close\r\n\r\npong";

        await socket.SendAsync(Encoding.ASCII.GetBytes(two));
        var answer = await ReadToEndAsync(socket);

        Assert.Equal(2, answer.Split("HTTP/1.1 200 OK").Length - 1);
        Assert.True(answer.IndexOf("hello", StringComparison.Ordinal) < answer.IndexOf("pong", StringComparison.Ordinal), answer);
        Assert.EndsWith("pong", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebSockets_AreTunnelledAfterTheUpgrade()
    {
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_proxy.Port}/ws"), CancellationToken.None);

        await ws.SendAsync("ping over the tunnel"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[1024];
        var received = await ws.ReceiveAsync(buffer, CancellationToken.None);

        var closing = await ws.ReceiveAsync(buffer, CancellationToken.None);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);

        Assert.Equal("ping over the tunnel", Encoding.UTF8.GetString(buffer, 0, received.Count));
        Assert.Equal(WebSocketMessageType.Close, closing.MessageType);
        var metrics = _endpoint.Metrics.Snapshot();
        Assert.Equal(1, metrics.Upgraded);
        Assert.Equal(0, metrics.Histogram.Sum());
    }

    [Fact]
    public async Task NoRevision_Is503_AndARevisionThatIsDown_Is502_WithWhy()
    {
        _proxy.SetWheel(TrafficWheel.Empty);
        using var none = await _client.GetAsync(Url("/hello"));
        var closedPort = new RevisionEndpoint("rev-gone", TestPorts.Free());
        _proxy.SetWheel(TrafficWheel.Build([(closedPort, 100)]));
        using var down = await _client.GetAsync(Url("/hello"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
        Assert.Contains("no revision of svc (test) takes traffic", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
        Assert.Contains("revision rev-gone did not answer: connection refused", await down.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, closedPort.Metrics.Snapshot().ProxyErrors);
    }

    [Fact]
    public async Task PooledConnectionsToARestartedRevision_AreReplaced_WithoutAFailedRequest()
    {
        // Fill the pool, restart the revision on the same port: every pooled connection is now dead.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _client.GetStringAsync(Url("/hello"))));
        var port = Port(_upstream);
        await _upstream.DisposeAsync();
        _upstream = await StartUpstreamAsync(port, _held);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _client.GetAsync(Url("/hello"))));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(0, _endpoint.Metrics.Snapshot().ProxyErrors);
    }

    [Fact]
    public async Task ForwardingFields_AreTheProxysOwn_AndHopByHopFieldsStayOnTheirHop()
    {
        var raw = "GET /headers HTTP/1.1\r\nHost: svc.local:8080\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil\r\nX-Forwarded-Proto: https\r\n"
            + "X-Forwarded-Prefix: /admin\r\nForwarded: for=6.6.6.6;proto=https\r\nConnection: X-Hop-Secret, TE\r\nX-Hop-Secret: 1\r\n"
            + "Keep-Alive: timeout=5\r\nProxy-Authorization: Basic YTpi\r\nProxy-Connection: keep-alive\r\nTE: trailers, gzip\r\nX-Kept: yes\r\n\r\n";

        var answer = await RawHttp.ExchangeOneAsync(_proxy.Port, raw);
        var seen = answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..].Split('\n');

        Assert.Contains("x-forwarded-for: 127.0.0.1", seen);
        Assert.Contains("x-forwarded-proto: http", seen);
        Assert.Contains("x-forwarded-host: svc.local:8080", seen);
        Assert.Contains("forwarded: for=127.0.0.1;host=\"svc.local:8080\";proto=http", seen);
        Assert.Contains("x-kept: yes", seen);
        Assert.DoesNotContain(seen, line => line.Contains("6.6.6.6", StringComparison.Ordinal) || line.Contains("evil", StringComparison.Ordinal));
        foreach (var hop in new[] { "x-forwarded-prefix", "x-hop-secret", "keep-alive", "proxy-authorization", "proxy-connection", "te" })
        {
            Assert.DoesNotContain(seen, line => line.StartsWith(hop + ":", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TheListener_AnswersOnIpv6LoopbackToo_AndSaysSoInForwarded()
    {
        var body = await _client.GetStringAsync(new Uri($"http://[::1]:{_proxy.Port}/headers"));

        Assert.Contains("x-forwarded-for: ::1", body.Split('\n'));
        Assert.Contains($"forwarded: for=\"[::1]\";host=\"[::1]:{_proxy.Port}\";proto=http", body.Split('\n'));
    }

    [Fact]
    public async Task ARequestPastItsRevisionsTimeout_Gets504_AndIsCountedAsTimedOut()
    {
        var time = new FakeTimeProvider();
        var (proxy, endpoint, pending) = await HoldARequestAsync(time, TimeSpan.FromSeconds(60));
        await using var _ = proxy;

        time.Advance(TimeSpan.FromSeconds(61));
        using var response = await pending;
        _held.Release.TrySetResult();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("revision rev-1 did not answer within the request timeout (60 s", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var metrics = endpoint.Metrics.Snapshot();
        Assert.Equal((1, 1, 0L), (metrics.TimedOut, metrics.ProxyErrors, metrics.Histogram.Sum()));
    }

    [Fact]
    public async Task ARequestWithinItsRevisionsTimeout_IsAnswered_HoweverLongItTakes()
    {
        var time = new FakeTimeProvider();
        var (proxy, endpoint, pending) = await HoldARequestAsync(time, TimeSpan.FromSeconds(60));
        await using var _ = proxy;

        time.Advance(TimeSpan.FromSeconds(59));
        _held.Release.TrySetResult();
        using var response = await pending;

        Assert.Equal("held", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, endpoint.Metrics.Snapshot().TimedOut);
    }

    /// <summary>A proxy on <paramref name="time"/> to a revision with that request timeout, and a request the revision holds.</summary>
    private async Task<(ServiceProxy Proxy, RevisionEndpoint Endpoint, Task<HttpResponseMessage> Pending)> HoldARequestAsync(FakeTimeProvider time, TimeSpan requestTimeout)
    {
        var proxy = await ServiceProxy.StartAsync("test", "svc", 0, ListenerSettings.Default, time, CancellationToken.None);
        var endpoint = new RevisionEndpoint("rev-1", Port(_upstream), requestTimeout: requestTimeout);
        proxy.SetWheel(TrafficWheel.Build([(endpoint, 100)]));
        var pending = _client.GetAsync(new Uri($"http://127.0.0.1:{proxy.Port}/held"));
        await _held.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return (proxy, endpoint, pending);
    }

    [Fact]
    public async Task IdleClientConnections_AreClosed_ButOneWaitingForItsAnswerIsNot()
    {
        await using var proxy = await ServiceProxy.StartAsync("test", "svc", 0, ListenerSettings.Default with { IdleTimeout = TimeSpan.FromSeconds(1) }, TimeProvider.System, CancellationToken.None);
        proxy.SetWheel(TrafficWheel.Build([(_endpoint, 100)]));
        using var busy = await ConnectAsync(proxy.Port);
        await busy.SendAsync("GET /held HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
        await _held.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        using var silent = await ConnectAsync(proxy.Port);
        using var partial = await ConnectAsync(proxy.Port);
        await partial.SendAsync("GET /hello HTTP/1.1\r\nHost: a\r\n"u8.ToArray()); // a head that never ends
        using var finished = await ConnectAsync(proxy.Port);
        await finished.SendAsync("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray()); // answered, then kept alive and silent

        // Kestrel's keep-alive and header timeouts (and the protocol sniffing before them) close the idle ones…
        Assert.True(await ClosedByPeerAsync(silent));
        Assert.True(await ClosedByPeerAsync(partial));
        Assert.Contains("hello", await RawHttp.ReadToEndAsync(finished, TimeSpan.FromSeconds(30)), StringComparison.Ordinal);
        _held.Release.TrySetResult();

        // …while the one whose request is in progress still gets its answer, however long it waited.
        var answer = await RawHttp.ReadToEndAsync(busy, TimeSpan.FromSeconds(30));
        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
        Assert.Contains("held", answer, StringComparison.Ordinal);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }

    /// <summary>Whether the other side closed within a few seconds without answering 200 (a 408 for an unfinished head is fine).</summary>
    private static async Task<bool> ClosedByPeerAsync(Socket socket) =>
        !(await RawHttp.ReadToEndAsync(socket, TimeSpan.FromSeconds(10))).StartsWith("HTTP/1.1 200", StringComparison.Ordinal);

    private static Task<string> ReadToEndAsync(Socket socket) => RawHttp.ReadToEndAsync(socket);

    private static async Task<bool> WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(20);
        }

        return condition();
    }


    /// <summary>A request the revision holds until the test lets it go.</summary>
    private sealed class Held
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A stream that will not tell its length.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
