using System.Text;
using DeployMatrix.Local.Proxy;

namespace DeployMatrix.Local.Tests.Proxy;

public sealed class Http1Tests
{
    private static RequestHead? Request(string head) => Http1.ParseRequest(Encoding.ASCII.GetBytes(head));

    private static ResponseHead? Response(string head, bool toHead = false) => Http1.ParseResponse(Encoding.ASCII.GetBytes(head), toHead);

    [Fact]
    public void HeadEnd_IsFoundAcrossReads()
    {
        var bytes = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY");

        Assert.Equal(-1, Http1.FindHeadEnd(bytes.AsSpan(0, 26), 0));
        Assert.Equal(27, Http1.FindHeadEnd(bytes.AsSpan(0, 27), 26)); // the search resumes a little before the old end
        Assert.Equal(27, Http1.FindHeadEnd(bytes, 0));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true, BodyFraming.None, 0L)]
    [InlineData("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false, BodyFraming.None, 0L)]
    [InlineData("GET / HTTP/1.0\r\n\r\n", false, BodyFraming.None, 0L)]
    [InlineData("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, BodyFraming.None, 0L)]
    [InlineData("POST /x HTTP/1.1\r\ncontent-length: 12\r\n\r\n", true, BodyFraming.ContentLength, 12L)]
    [InlineData("POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n", true, BodyFraming.None, 0L)]
    [InlineData("POST /x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", true, BodyFraming.Chunked, 0L)]
    [InlineData("POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", true, BodyFraming.ContentLength, 5L)]
    public void Requests_SayHowTheirBodyEnds_AndWhetherTheConnectionStaysOpen(string head, bool keepAlive, BodyFraming framing, long length)
    {
        var parsed = Request(head);

        Assert.NotNull(parsed);
        Assert.Equal(keepAlive, parsed.Value.KeepAlive);
        Assert.Equal(framing, parsed.Value.Framing);
        Assert.Equal(length, parsed.Value.ContentLength);
        Assert.Equal(head.Length, parsed.Value.Length);
    }

    [Theory]
    [InlineData("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")] // the classic smuggling pair
    [InlineData("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")] // no way to know where the body ends
    [InlineData("GET / HTTP/2.0\r\n\r\n")]
    [InlineData("GARBAGE\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nno colon here\r\n\r\n")]
    public void AmbiguousOrBrokenRequests_AreRefused(string head)
    {
        Assert.Null(Request(head));
    }

    [Fact]
    public void Requests_NoticeHeadMethodExpectAndUpgrade()
    {
        Assert.True(Request("HEAD / HTTP/1.1\r\n\r\n")!.Value.IsHead);
        Assert.True(Request("PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")!.Value.ExpectsContinue);
        Assert.True(Request("GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n")!.Value.Upgrade);
        Assert.False(Request("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n")!.Value.Upgrade);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", false, 200, true, BodyFraming.ContentLength)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, 200, true, BodyFraming.Chunked)]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n", false, 200, false, BodyFraming.UntilClose)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true, 200, true, BodyFraming.None)] // answer to HEAD
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", false, 204, true, BodyFraming.None)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, 304, true, BodyFraming.None)]
    [InlineData("HTTP/1.1 500 Oops\r\nContent-Length: 3\r\nConnection: close\r\n\r\n", false, 500, false, BodyFraming.ContentLength)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", false, 200, false, BodyFraming.ContentLength)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", false, 101, true, BodyFraming.None)]
    public void Responses_SayHowTheirBodyEnds(string head, bool toHead, int status, bool keepAlive, BodyFraming framing)
    {
        var parsed = Response(head, toHead);

        Assert.NotNull(parsed);
        Assert.Equal(status, parsed.Value.Status);
        Assert.Equal(keepAlive, parsed.Value.KeepAlive);
        Assert.Equal(framing, parsed.Value.Framing);
    }

    [Theory]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("ICY 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")]
    public void BrokenResponses_AreRefused(string head)
    {
        Assert.Null(Response(head));
    }

    [Fact]
    public void WithoutExpect_DropsOnlyThatField()
    {
        var head = "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";

        Assert.Equal("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", Encoding.ASCII.GetString(Http1.WithoutExpect(Encoding.ASCII.GetBytes(head))));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    public void ChunkedScanner_FindsTheEndOfTheBody_HoweverTheBytesArrive(int sliceSize)
    {
        var body = Encoding.ASCII.GetBytes("5\r\nhello\r\n1A;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\n");
        var next = Encoding.ASCII.GetBytes("GET /next HTTP/1.1\r\n\r\n");
        var stream = body.Concat(next).ToArray();
        var scanner = default(ChunkedScanner);
        var consumed = 0;

        for (var at = 0; at < stream.Length && !scanner.IsDone; at += sliceSize)
        {
            var slice = stream.AsSpan(at, Math.Min(sliceSize, stream.Length - at));
            var used = scanner.Scan(slice);
            Assert.True(used >= 0);
            consumed += used;
        }

        Assert.True(scanner.IsDone);
        Assert.Equal(body.Length, consumed);
    }

    [Theory]
    [InlineData("zz\r\n")]
    [InlineData("5\r\nhelloXX")]
    [InlineData("5\nhello")]
    [InlineData("1111111111111111\r\n")] // a size that overflows
    public void ChunkedScanner_RefusesBrokenFraming(string body)
    {
        var scanner = default(ChunkedScanner);

        Assert.Equal(-1, scanner.Scan(Encoding.ASCII.GetBytes(body)));
    }
}
