using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using DeployMatrix.Local.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DeployMatrix.Local.Tests.Proxy;

/// <summary>
/// The forwarder against a real HTTP server (Kestrel) and real clients (HttpClient, raw sockets,
/// ClientWebSocket): every way an HTTP/1.1 message can be framed goes through unchanged.
/// </summary>
public sealed class ServiceProxyTests : IAsyncLifetime
{
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

    private static async Task<WebApplication> StartUpstreamAsync(int port)
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

    [Theory]
    [InlineData("GARBAGE\r\n\r\n", "400 Bad Request")]
    [InlineData("POST /echo HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400 Bad Request")]
    public async Task BrokenOrAmbiguousRequests_GetA400_AndNeverReachTheRevision(string raw, string expected)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _proxy.Port);

        await socket.SendAsync(Encoding.ASCII.GetBytes(raw));
        var answer = await ReadToEndAsync(socket);

        Assert.StartsWith($"HTTP/1.1 {expected}", answer, StringComparison.Ordinal);
        Assert.Equal(0, _endpoint.Metrics.Snapshot().Requests);
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
        Assert.True(await WaitForAsync(() => _endpoint.Metrics.Snapshot().Requests == 1), "the upgraded exchange is counted once it ends");
    }

    [Fact]
    public async Task NoRevision_Is503_AndARevisionThatIsDown_Is502_WithWhy()
    {
        _proxy.SetWheel(TrafficWheel.Empty);
        using var none = await _client.GetAsync(Url("/hello"));
        var closedPort = new RevisionEndpoint("rev-gone", FreePort());
        _proxy.SetWheel(TrafficWheel.Build([(closedPort, 100)]));
        using var down = await _client.GetAsync(Url("/hello"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
        Assert.Contains("no revision of svc (test) takes traffic", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
        Assert.Contains("revision rev-gone did not answer: connection refused", await down.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(await WaitForAsync(() => closedPort.Metrics.Snapshot().ProxyErrors == 1), "the failed exchange is counted");
    }

    [Fact]
    public async Task PooledConnectionsToARestartedRevision_AreReplaced_WithoutAFailedRequest()
    {
        // Fill the pool, restart the revision on the same port: every pooled connection is now dead.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _client.GetStringAsync(Url("/hello"))));
        var port = Port(_upstream);
        await _upstream.DisposeAsync();
        _upstream = await StartUpstreamAsync(port);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _client.GetAsync(Url("/hello"))));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(0, _endpoint.Metrics.Snapshot().ProxyErrors);
    }

    [Fact]
    public async Task IdleClientConnections_AreClosed_ButBusyOnesAreNot()
    {
        await using var proxy = await ServiceProxy.StartAsync("test", "svc", 0, TimeSpan.FromMilliseconds(300), CancellationToken.None);
        proxy.SetWheel(TrafficWheel.Build([(_endpoint, 100)]));
        using var idle = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await idle.ConnectAsync(IPAddress.Loopback, proxy.Port);
        using var partial = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await partial.ConnectAsync(IPAddress.Loopback, proxy.Port);
        await partial.SendAsync("GET /hello HTTP/1.1\r\nHost: a\r\n"u8.ToArray()); // a head that never ends
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        // A client that keeps asking stays connected past the timeout.
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal("hello", await client.GetStringAsync(new Uri($"http://127.0.0.1:{proxy.Port}/hello")));
            await Task.Delay(100);
        }

        Assert.True(await ClosedByPeerAsync(idle));
        Assert.True(await ClosedByPeerAsync(partial));
    }

    /// <summary>Whether the other side closed (an orderly end or a reset) within a few seconds, sending nothing.</summary>
    private static async Task<bool> ClosedByPeerAsync(Socket socket)
    {
        try
        {
            return await ReadToEndAsync(socket) == "";
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var all = new MemoryStream();
        var buffer = new byte[8192];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
        {
            all.Write(buffer, 0, read);
        }

        return Encoding.ASCII.GetString(all.ToArray());
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(20);
        }

        return condition();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A stream that will not tell its length.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
