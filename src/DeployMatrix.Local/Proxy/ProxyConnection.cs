using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace DeployMatrix.Local.Proxy;

/// <summary>
/// One client connection to a service's listener. Each request goes to the revision the wheel picks
/// for it, over a pooled keep-alive connection; heads and bodies are forwarded byte for byte, with just
/// enough parsing to know where each message ends.
/// </summary>
/// <remarks>
/// The common exchange (a request whose body arrived with its head, a response with a known length)
/// runs inside the one async loop of <see cref="RunAsync"/>, awaiting the sockets directly: one state
/// machine per connection, reused for every request, so forwarding allocates nothing. Rarer shapes
/// (streamed bodies, 100-continue, interim answers, upgrades) live in the other part of this class.
/// </remarks>
internal sealed partial class ProxyConnection(Socket client, ServiceProxy proxy) : IDisposable
{
    private readonly Socket _client = client;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(UpstreamConnection.BufferSize);
    private int _start;
    private int _end;
    private long _idleSince = Environment.TickCount64;

    /// <summary><see cref="Environment.TickCount64"/> since when the connection waits for a request head, or 0 while a request is in progress.</summary>
    public long IdleSince => Volatile.Read(ref _idleSince);

    public async Task RunAsync()
    {
        try
        {
            while (true)
            {
                // The next request head, from what is buffered and what arrives.
                int headLength;
                var searched = 0;
                while ((headLength = Http1.FindHeadEnd(_buffer.AsSpan(_start, _end - _start), searched)) < 0)
                {
                    searched = _end - _start;
                    if (searched >= Http1.MaxHeadBytes)
                    {
                        await SendErrorAsync(431, "Request Header Fields Too Large", "deploymatrix: request head over 64 KiB");
                        return;
                    }

                    MakeRoom();
                    var read = await _client.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
                    if (read == 0)
                    {
                        return;
                    }

                    _end += read;
                }

                Volatile.Write(ref _idleSince, 0);
                if (Http1.ParseRequest(_buffer.AsSpan(_start, headLength)) is not { } request)
                {
                    await SendErrorAsync(400, "Bad Request", "deploymatrix: malformed or ambiguous request head");
                    return;
                }

                if (proxy.Maintenance is { } maintenance && maintenance.Judge(_buffer.AsSpan(_start, headLength)) is { } answer)
                {
                    await SendAnswerAsync(answer);
                    return;
                }

                var endpoint = proxy.Wheel.Next();
                if (endpoint is null)
                {
                    await SendErrorAsync(503, "Service Unavailable", $"deploymatrix: no revision of {proxy.Service} ({proxy.Env}) takes traffic");
                    return;
                }

                endpoint.Enter();
                var started = Stopwatch.GetTimestamp();
                var status = 0;
                var keepClient = false;
                var answered = false;
                UpstreamConnection? upstream = null;
                try
                {
                    upstream = endpoint.Pool.TakeIdle();
                    var reused = upstream is not null;
                    upstream ??= await endpoint.Pool.ConnectAsync();
                    var bufferedBody = BufferedBody(request, out var bodyDone);
                    var simple = bodyDone && !request.ExpectsContinue;
                    ResponseHead head;
                    while (true)
                    {
                        try
                        {
                            if (simple)
                            {
                                await SendAllAsync(upstream.Socket, _buffer.AsMemory(_start, request.Length + bufferedBody));
                            }
                            else
                            {
                                await SendRequestSlowAsync(upstream, request, bufferedBody, bodyDone);
                            }

                            // The response head; interim (1xx) answers are passed on while waiting for the final one.
                            var used = 0;
                            var headSearched = 0;
                            int headEnd;
                            while (true)
                            {
                                while ((headEnd = Http1.FindHeadEnd(upstream.Buffer.AsSpan(0, used), headSearched)) < 0)
                                {
                                    headSearched = used;
                                    GrowForHead(upstream, used);
                                    var read = await upstream.Socket.ReceiveAsync(upstream.Buffer.AsMemory(used), SocketFlags.None);
                                    if (read == 0)
                                    {
                                        throw used == 0 && !answered ? new StaleConnectionException() : new IOException("the revision closed the connection in the middle of a response");
                                    }

                                    used += read;
                                }

                                head = Http1.ParseResponse(upstream.Buffer.AsSpan(0, headEnd), request.IsHead)
                                    ?? throw new IOException("the revision sent a malformed response head");
                                if (head.Status is >= 200 or 101)
                                {
                                    break;
                                }

                                used = await RelayInterimAsync(upstream, headEnd, used);
                                answered = true;
                                headSearched = 0;
                            }

                            upstream.Used = used;
                            break;
                        }
                        catch (Exception e) when (reused && bodyDone && !answered && e is SocketException or StaleConnectionException)
                        {
                            // A kept-alive connection the revision had already closed: once more on a fresh
                            // one; the whole request is still in the buffer.
                            upstream.Dispose();
                            upstream = null;
                            upstream = await endpoint.Pool.ConnectAsync();
                            reused = false;
                        }
                    }

                    if (bodyDone)
                    {
                        _start += request.Length + bufferedBody;
                    }

                    answered = true;
                    status = head.Status;
                    var complete = false;
                    if (head.Status == 101)
                    {
                        await TunnelAsync(upstream);
                    }
                    else
                    {
                        // The response: head and body go out in one send when they arrived together.
                        var buffer = upstream.Buffer;
                        var used = upstream.Used;
                        var offset = head.Length;
                        var remaining = head.ContentLength;
                        var scanner = default(ChunkedScanner);
                        while (true)
                        {
                            var body = TakeBody(head.Framing, buffer.AsSpan(offset, used - offset), ref remaining, ref scanner, out var done);
                            await SendAllAsync(_client, buffer.AsMemory(0, offset + body));
                            if (done)
                            {
                                // Bytes past the end of the response mean its framing cannot be trusted.
                                complete = offset + body == used;
                                break;
                            }

                            used = await upstream.Socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
                            offset = 0;
                            if (used == 0)
                            {
                                if (head.Framing != BodyFraming.UntilClose)
                                {
                                    throw new IOException("the revision closed the connection in the middle of a response body");
                                }

                                break;
                            }
                        }
                    }

                    if (complete && head.KeepAlive)
                    {
                        endpoint.Pool.Return(upstream);
                        upstream = null;
                    }

                    keepClient = complete && request.KeepAlive && head.KeepAlive;
                }
                catch (Exception e) when (!answered && e is SocketException or IOException or OperationCanceledException or StaleConnectionException)
                {
                    await SendErrorAsync(502, "Bad Gateway", $"deploymatrix: revision {endpoint.Revision} did not answer: {Why(e)}");
                }
                catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
                {
                    // The client or the revision went away in the middle of an answer; only closing is left.
                }
                finally
                {
                    upstream?.Dispose();
                    endpoint.Metrics.Record(status, Stopwatch.GetElapsedTime(started));
                    endpoint.Leave();
                }

                if (!keepClient)
                {
                    return;
                }

                Volatile.Write(ref _idleSince, Environment.TickCount64);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // The client or the proxy went away; nothing is left to answer.
        }
        finally
        {
            proxy.Forget(this);
            Dispose();
        }
    }

    /// <summary>Closes the client socket; the connection's loop then ends and gives its buffer back (never while it may still write into it).</summary>
    public void Close() => _client.Dispose();

    public void Dispose()
    {
        _client.Dispose();
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Moves unread bytes to the front, or grows the buffer when it is full of them.</summary>
    private void MakeRoom()
    {
        if (_end < _buffer.Length)
        {
            return;
        }

        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(0, _end).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    private static void GrowForHead(UpstreamConnection upstream, int used)
    {
        if (used < upstream.Buffer.Length)
        {
            return;
        }

        if (used >= Http1.MaxHeadBytes)
        {
            throw new IOException("the revision's response head is over 64 KiB");
        }

        upstream.Grow(used);
    }

    /// <summary>How many bytes after the head belong to the body and are already in the buffer.</summary>
    private int BufferedBody(RequestHead request, out bool done)
    {
        var available = _buffer.AsSpan(_start + request.Length, _end - _start - request.Length);
        var remaining = request.ContentLength;
        var scanner = default(ChunkedScanner);
        return TakeBody(request.Framing, available, ref remaining, ref scanner, out done);
    }

    /// <summary>How many of <paramref name="available"/> bytes belong to a body framed this way, and whether it ends there.</summary>
    private static int TakeBody(BodyFraming framing, ReadOnlySpan<byte> available, ref long remaining, ref ChunkedScanner scanner, out bool done)
    {
        switch (framing)
        {
            case BodyFraming.ContentLength:
                var body = (int)Math.Min(available.Length, remaining);
                remaining -= body;
                done = remaining == 0;
                return body;
            case BodyFraming.Chunked:
                var used = scanner.Scan(available);
                done = scanner.IsDone;
                return used >= 0 ? used : throw new IOException("malformed chunked body");
            case BodyFraming.UntilClose:
                done = false;
                return available.Length;
            default:
                done = true;
                return 0;
        }
    }

    /// <summary>The proxy's own answer (maintenance), then the connection closes: any request body is left unread.</summary>
    private async Task SendAnswerAsync(ProxyAnswer answer)
    {
        var head = new StringBuilder($"HTTP/1.1 {answer.Status} {answer.Reason}\r\ncontent-type: text/plain; charset=utf-8\r\n");
        foreach (var header in answer.Headers)
        {
            head.Append(header).Append("\r\n");
        }

        head.Append($"content-length: {Encoding.UTF8.GetByteCount(answer.Body)}\r\nconnection: close\r\n\r\n{answer.Body}");
        await SendAllAsync(_client, Encoding.UTF8.GetBytes(head.ToString()));
    }

    private async Task SendErrorAsync(int status, string reason, string message)
    {
        var body = message + "\n";
        var bytes = Encoding.UTF8.GetBytes($"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {Encoding.UTF8.GetByteCount(body)}\r\nconnection: close\r\n\r\n{body}");
        await SendAllAsync(_client, bytes);
    }

    private static string Why(Exception e) => e switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
        OperationCanceledException => "no connection within 5 s",
        StaleConnectionException => "the revision closed the connection without an answer",
        _ => e.Message,
    };

    internal static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None);
            data = data[sent..];
        }
    }

    /// <summary>The upstream closed a connection before answering anything on it.</summary>
    private sealed class StaleConnectionException : Exception
    {
        public StaleConnectionException()
            : base("the revision closed the connection without an answer")
        {
        }
    }
}
