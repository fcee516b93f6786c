using DeployMatrix.Core.Maintenance;
using DeployMatrix.Local.Proxy;
using DeployMatrix.Local.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace DeployMatrix.Local.Tests.Proxy;

/// <summary>
/// Malformed and ambiguous requests, written byte for byte to a real listener in front of a revision that
/// would believe anything (<see cref="NaiveBackend"/>): each is answered 400, 413, 431 or 501, or the
/// connection is closed — and not one byte reaches the revision, with maintenance off or on.
/// </summary>
public sealed class ConformanceCorpusTests : IAsyncLifetime
{
    private const string Token = "Gw3xT9kQ2mV7pL4sN8rB1cZ6hJ0dF5yA3eU9iO2wK7q";
    private static readonly int[] Refusals = [0, 400, 413, 431, 501];
    private NaiveBackend _backend = null!;
    private ServiceProxy _proxy = null!;

    /// <summary>The corpus: a name, and the request as raw bytes (Latin-1).</summary>
    public static TheoryData<string, string> Corpus()
    {
        const string Post = "POST /api/orders HTTP/1.1\r\nHost: a\r\n";
        const string Chunked = Post + "Transfer-Encoding: chunked\r\n\r\n";
        var data = new TheoryData<string, string>
        {
            // Field names and whitespace
            { "space before colon (Transfer-Encoding)", Post + "Transfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
            { "space before colon (Content-Length)", Post + "Content-Length : 5\r\n\r\nhello" },
            { "tab before colon", Post + "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n" },
            { "whitespace before the first field", "GET /api/orders HTTP/1.1\r\n Host: a\r\n\r\n" },
            { "obs-fold", "GET /api/orders HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  2\r\n\r\n" },
            { "empty field name", "GET /api/orders HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n" },
            { "field without colon", "GET /api/orders HTTP/1.1\r\nHost: a\r\nX-A v\r\n\r\n" },
            { "NUL in a field name", "GET /api/orders HTTP/1.1\r\nHost: a\r\nX\0A: v\r\n\r\n" },

            // Host
            { "no Host", "GET /api/orders HTTP/1.1\r\n\r\n" },
            { "two Host fields", "GET /api/orders HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" },
            { "Host as a list", "GET /api/orders HTTP/1.1\r\nHost: a, b\r\n\r\n" },
            { "Host with a space", "GET /api/orders HTTP/1.1\r\nHost: a b\r\n\r\n" },
            { "absolute target naming another host", "GET http://b/api/orders HTTP/1.1\r\nHost: a\r\n\r\n" },

            // Content-Length
            { "Content-Length and Transfer-Encoding", Post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" },
            { "Transfer-Encoding and Content-Length", Post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" },
            { "two equal Content-Length fields", Post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello" },
            { "two different Content-Length fields", Post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!" },
            { "Content-Length as a list", Post + "Content-Length: 5, 5\r\n\r\nhello" },
            { "negative Content-Length", Post + "Content-Length: -1\r\n\r\n" },
            { "Content-Length not a number", Post + "Content-Length: 5a\r\n\r\nhello" },
            { "Content-Length past 64 bits", Post + "Content-Length: 99999999999999999999\r\n\r\n" },
            { "Content-Length past the body limit", Post + "Content-Length: 50000000\r\n\r\nhello" },

            // Chunked framing
            { "chunk size not hex", Chunked + "zz\r\nhello\r\n0\r\n\r\n" },
            { "chunk size past 64 bits", Chunked + "fffffffffffffffff\r\nhello\r\n0\r\n\r\n" },
            { "chunk size with 0x", Chunked + "0x5\r\nhello\r\n0\r\n\r\n" },
            { "negative chunk size", Chunked + "-5\r\nhello\r\n0\r\n\r\n" },
            { "space before the chunk size", Chunked + " 5\r\nhello\r\n0\r\n\r\n" },
            { "bare LF in a chunk extension", Chunked + "5;a\nhello\r\n0\r\n\r\n" },
            { "bare CR in a chunk extension", Chunked + "5;a\rb\r\nhello\r\n0\r\n\r\n" },
            { "chunk size line ended by LF", Chunked + "5\nhello\r\n0\r\n\r\n" },
            { "chunk data without its CRLF", Chunked + "5\r\nhelloXX0\r\n\r\n" },

            // Transfer codings
            { "chunked twice", Post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n" },
            { "chunked not last", Post + "Transfer-Encoding: chunked, gzip\r\n\r\nhello" },
            { "unknown transfer coding", Post + "Transfer-Encoding: gzip\r\n\r\nhello" },
            { "identity transfer coding", Post + "Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello" },
            { "misspelt chunked", Post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" },
            { "Transfer-Encoding on HTTP/1.0", "POST /api/orders HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
            { "upgrade with a body", Post + "Connection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 5\r\n\r\nhello" },

            // Line endings, NUL and control bytes
            { "bare LF line endings", "GET /api/orders HTTP/1.1\nHost: a\n\n" },
            { "bare LF after a field", "GET /api/orders HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n" },
            { "bare CR in a field value", "GET /api/orders HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n" },
            { "bare CR in the request line", "GET /api/orders\r HTTP/1.1\r\nHost: a\r\n\r\n" },
            { "NUL in a field value", "GET /api/orders HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n" },
            { "control byte in a field value", "GET /api/orders HTTP/1.1\r\nHost: a\r\nX-A: a\u0001b\r\n\r\n" },
            { "DEL in a field value", "GET /api/orders HTTP/1.1\r\nHost: a\r\nX-A: a\u007fb\r\n\r\n" },
            { "escape sequence in a field value", "GET /api/orders HTTP/1.1\r\nHost: a\r\nX-A: \u001b[31mred\r\n\r\n" },
            { "NUL in the target", "GET /api/or\0ders HTTP/1.1\r\nHost: a\r\n\r\n" },

            // Methods and targets
            { "tab between method and target", "GET\t/healthz HTTP/1.1\r\nHost: a\r\n\r\n" },
            { "invalid method", "G(T /api/orders HTTP/1.1\r\nHost: a\r\n\r\n" },
            { "space in the target", "GET /api/or ders HTTP/1.1\r\nHost: a\r\n\r\n" },
            { "HTTP/0.9 request", "GET /api/orders\r\n\r\n" },
            { "CONNECT to a path", "CONNECT /api/orders HTTP/1.1\r\nHost: a\r\n\r\n" },
            { "CONNECT for a tunnel", "CONNECT b:443 HTTP/1.1\r\nHost: b:443\r\n\r\n" },

            // Sizes and hop-by-hop games
            { "a 40 KiB field", $"GET /api/orders HTTP/1.1\r\nHost: a\r\nX-A: {new string('a', 40 * 1024)}\r\n\r\n" },
            { "150 fields", "GET /api/orders HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(0, 150).Select(i => $"X-{i}: v\r\n")) + "\r\n" },
            { "Connection naming Content-Length", Post + "Connection: content-length\r\nContent-Length: 5\r\n\r\nhello" },
            { "Connection naming Host", "GET /api/orders HTTP/1.1\r\nHost: a\r\nConnection: host\r\n\r\n" },
            { "Connection naming X-Forwarded-For", "GET /api/orders HTTP/1.1\r\nHost: a\r\nConnection: x-forwarded-for\r\n\r\n" },
            { "HTTP/2 preface then garbage", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nGET /api/orders HTTP/1.1\r\nHost: a\r\n\r\n" },
        };
        return data;
    }

    public async Task InitializeAsync()
    {
        _backend = new NaiveBackend();
        _proxy = await ServiceProxy.StartAsync("test", "svc", 0, CancellationToken.None);
        _proxy.SetWheel(TrafficWheel.Build([(new RevisionEndpoint("svc-00001-abc", _backend.Port), 100)]));
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public void TheCorpus_HoldsAtLeastThirtyRequests() => Assert.True(Corpus().Count >= 30);

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task EveryMalformedRequest_IsRefusedOrClosed_AndNothingReachesTheRevision(string name, string raw)
    {
        var answer = await RawHttp.ExchangeAsync(_proxy.Port, raw);

        Assert.True(Refusals.Contains(RawHttp.Status(answer)), $"{name}: answered '{answer.Split("\r\n")[0]}'");
        Assert.Equal(0, _backend.ConnectionsAccepted);
        Assert.Equal(0, _backend.BytesReceived);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task WithMaintenanceOn_NoRequestOfTheCorpus_ReachesABlockedPath(string name, string raw)
    {
        _proxy.Maintenance = new MaintenanceGate(Token, "test/svc", "down", 60, new FakeTimeProvider());

        var answer = await RawHttp.ExchangeAsync(_proxy.Port, raw);
        var healthz = await RawHttp.ExchangeAsync(_proxy.Port, "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

        Assert.True(Refusals.Contains(RawHttp.Status(answer)) || RawHttp.Status(answer) == 503, $"{name}: answered '{answer.Split("\r\n")[0]}'");
        Assert.Equal(200, RawHttp.Status(healthz));
        Assert.Equal(["GET /healthz HTTP/1.1"], _backend.RequestLines);
    }

    [Fact]
    public async Task AWellFormedRequest_DoesReachTheRevision()
    {
        var answer = await RawHttp.ExchangeAsync(_proxy.Port, "POST /api/orders HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");

        Assert.Equal(200, RawHttp.Status(answer));
        Assert.Equal(["POST /api/orders HTTP/1.1"], _backend.RequestLines);
    }

    [Fact]
    public async Task TheBypassEndpoint_AnswersItself_AndNeverReachesTheRevision()
    {
        _proxy.Maintenance = new MaintenanceGate(Token, "test/svc", "down", 60, new FakeTimeProvider());

        var answer = await RawHttp.ExchangeAsync(_proxy.Port, $"GET {BypassCookie.Path} HTTP/1.1\r\nHost: a\r\n{BypassCookie.TokenHeader}: {Token}\r\nConnection: close\r\n\r\n");

        Assert.Equal(204, RawHttp.Status(answer));
        Assert.Equal(0, _backend.BytesReceived);
    }
}
