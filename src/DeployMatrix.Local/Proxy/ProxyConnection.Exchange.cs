using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace DeployMatrix.Local.Proxy;

internal sealed partial class ProxyConnection
{
    // The exchange in progress: one request and its response between this client and one revision.
    // Fields of the connection rather than an object per request.
    private RevisionEndpoint _endpoint = null!;
    private RequestHead _request;
    private bool _answered;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> ExchangeAsync()
    {
        UpstreamConnection? upstream = null;
        try
        {
            var (connection, reused) = await _endpoint.Pool.RentAsync();
            upstream = connection;
            var bufferedBody = BufferedBody(out var bodyDone);
            if (_request.ExpectsContinue && !bodyDone)
            {
                // Answer 100 Continue here so the body is on its way while the revision reads the head.
                await SendAllAsync(_client, Continue);
            }

            ResponseHead? response;
            while (true)
            {
                response = await SendRequestAndReadHeadAsync(upstream, bufferedBody, bodyDone);
                // A reused connection the revision had already closed: once more on a fresh one, when
                // the whole request is still in hand to be sent again.
                if (response is null && reused && bodyDone && !_answered)
                {
                    upstream.Dispose();
                    upstream = null;
                    upstream = await _endpoint.Pool.ConnectNewAsync();
                    reused = false;
                    continue;
                }

                break;
            }

            if (response is not { } head)
            {
                return await FailAsync("the revision closed the connection without an answer");
            }

            var complete = await RelayResponseAsync(upstream, head);
            if (complete && head.KeepAlive)
            {
                _endpoint.Pool.Return(upstream);
                upstream = null;
            }

            return new Outcome(head.Status, complete && _request.KeepAlive && head.KeepAlive && head.Status != 101);
        }
        catch (SocketException e) when (!_answered)
        {
            return await FailAsync(e.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : e.Message);
        }
        catch (IOException e) when (!_answered)
        {
            return await FailAsync(e.Message);
        }
        catch (OperationCanceledException) when (!_answered)
        {
            return await FailAsync("no connection within 5 s");
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            return new Outcome(0, false);
        }
        finally
        {
            upstream?.Dispose();
        }
    }

    private async Task<Outcome> FailAsync(string why)
    {
        _answered = true;
        await SendErrorAsync(502, "Bad Gateway", $"deploymatrix: revision {_endpoint.Revision} did not answer: {why}");
        return new Outcome(0, false);
    }

    /// <summary>How many bytes after the head belong to the body and are already in the buffer.</summary>
    private int BufferedBody(out bool done)
    {
        var available = _end - _start - _request.Length;
        switch (_request.Framing)
        {
            case BodyFraming.ContentLength:
                done = available >= _request.ContentLength;
                return (int)Math.Min(available, _request.ContentLength);
            case BodyFraming.Chunked:
                var scanner = default(ChunkedScanner);
                var used = scanner.Scan(_buffer.AsSpan(_start + _request.Length, available));
                done = scanner.IsDone;
                return used < 0 ? throw new IOException("malformed chunked request body") : used;
            default:
                done = true;
                return 0;
        }
    }

    /// <returns>The response head, or null when a reused connection turned out to be closed before any answer.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ResponseHead?> SendRequestAndReadHeadAsync(UpstreamConnection upstream, int bufferedBody, bool bodyDone)
    {
        try
        {
            var head = _buffer.AsMemory(_start, _request.Length);
            if (_request.ExpectsContinue)
            {
                await SendAllAsync(upstream.Socket, Http1.WithoutExpect(head.Span));
                await SendAllAsync(upstream.Socket, _buffer.AsMemory(_start + _request.Length, bufferedBody));
            }
            else
            {
                await SendAllAsync(upstream.Socket, _buffer.AsMemory(_start, _request.Length + bufferedBody));
            }

            if (!bodyDone)
            {
                await StreamBodyAsync(upstream, _request.Length + bufferedBody);
                return await ReadResponseHeadAsync(upstream);
            }

            var response = await ReadResponseHeadAsync(upstream);
            if (response is not null)
            {
                // The request stays in the buffer until answered, so a retry can send it again.
                _start += _request.Length + bufferedBody;
            }

            return response;
        }
        catch (SocketException) when (bodyDone && !_answered)
        {
            return null;
        }
    }

    /// <summary>Copies the rest of a request body from the client once the buffered part is sent.</summary>
    private async Task StreamBodyAsync(UpstreamConnection upstream, int sent)
    {
        var remaining = _request.Framing == BodyFraming.ContentLength ? _request.ContentLength - (sent - _request.Length) : 0;
        var scanner = default(ChunkedScanner);
        if (_request.Framing == BodyFraming.Chunked)
        {
            _ = scanner.Scan(_buffer.AsSpan(_start + _request.Length, sent - _request.Length));
        }

        _start = _end = 0;
        while (true)
        {
            var read = await _client.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("the client closed the connection in the middle of a request body");
            }

            int body;
            bool done;
            if (_request.Framing == BodyFraming.ContentLength)
            {
                body = (int)Math.Min(read, remaining);
                remaining -= body;
                done = remaining == 0;
            }
            else
            {
                body = scanner.Scan(_buffer.AsSpan(0, read));
                if (body < 0)
                {
                    throw new IOException("malformed chunked request body");
                }

                done = scanner.IsDone;
            }

            await SendAllAsync(upstream.Socket, _buffer.AsMemory(0, body));
            if (done)
            {
                // What follows the body is the client's next _request.
                _start = body;
                _end = read;
                return;
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ResponseHead?> ReadResponseHeadAsync(UpstreamConnection upstream)
    {
        var used = 0;
        var searched = 0;
        while (true)
        {
            var end = Http1.FindHeadEnd(upstream.Buffer.AsSpan(0, used), searched);
            if (end > 0)
            {
                var head = Http1.ParseResponse(upstream.Buffer.AsSpan(0, end), _request.IsHead)
                    ?? throw new IOException("the revision sent a malformed response head");
                if (head.Status is >= 100 and < 200 and not 101)
                {
                    // An interim response: pass it on and wait for the final one.
                    await SendAllAsync(_client, upstream.Buffer.AsMemory(0, end));
                    _answered = true;
                    upstream.Buffer.AsSpan(end, used - end).CopyTo(upstream.Buffer);
                    used -= end;
                    searched = 0;
                    continue;
                }

                upstream.Used = used;
                return head;
            }

            searched = used;
            if (used == upstream.Buffer.Length)
            {
                if (used >= Http1.MaxHeadBytes)
                {
                    throw new IOException("the revision's response head is over 64 KiB");
                }

                upstream.Grow(used);
            }

            var read = await upstream.Socket.ReceiveAsync(upstream.Buffer.AsMemory(used), SocketFlags.None);
            if (read == 0)
            {
                return used == 0 && !_answered ? null : throw new IOException("the revision closed the connection in the middle of a response");
            }

            used += read;
        }
    }

    /// <returns>Whether the response ended cleanly, leaving the upstream connection reusable.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> RelayResponseAsync(UpstreamConnection upstream, ResponseHead head)
    {
        var buffer = upstream.Buffer;
        var used = upstream.Used;
        _answered = true;
        if (head.Status == 101)
        {
            await SendAllAsync(_client, buffer.AsMemory(0, used));
            await TunnelAsync(upstream);
            return false;
        }

        var remaining = head.ContentLength;
        var scanner = default(ChunkedScanner);
        var offset = head.Length;
        while (true)
        {
            var available = used - offset;
            int body;
            bool done;
            switch (head.Framing)
            {
                case BodyFraming.ContentLength:
                    body = (int)Math.Min(available, remaining);
                    remaining -= body;
                    done = remaining == 0;
                    break;
                case BodyFraming.Chunked:
                    body = scanner.Scan(buffer.AsSpan(offset, available));
                    if (body < 0)
                    {
                        throw new IOException("the revision sent a malformed chunked body");
                    }

                    done = scanner.IsDone;
                    break;
                case BodyFraming.UntilClose:
                    body = available;
                    done = false;
                    break;
                default:
                    body = 0;
                    done = true;
                    break;
            }

            // Head and body go out in one send when they arrived together.
            await SendAllAsync(_client, buffer.AsMemory(0, offset + body));
            if (done)
            {
                // Bytes past the end of the response mean the connection's framing cannot be trusted.
                return offset + body == used;
            }

            used = await upstream.Socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
            offset = 0;
            if (used == 0)
            {
                if (head.Framing == BodyFraming.UntilClose)
                {
                    return false;
                }

                throw new IOException("the revision closed the connection in the middle of a response body");
            }
        }
    }

    /// <summary>After 101 Switching Protocols both sides talk directly until either closes.</summary>
    private async Task TunnelAsync(UpstreamConnection upstream)
    {
        var rest = _end - _start;
        if (rest > 0)
        {
            await SendAllAsync(upstream.Socket, _buffer.AsMemory(_start, rest));
        }

        var pumps = new[] { PumpAsync(_client, upstream.Socket, _buffer), PumpAsync(upstream.Socket, _client, upstream.Buffer) };
        await Task.WhenAny(pumps);
        // Both sockets close before the buffers the pumps write into go back to the pool.
        upstream.Socket.Dispose();
        _client.Dispose();
        await Task.WhenAll(pumps);
    }

    private static async Task PumpAsync(Socket from, Socket to, byte[] buffer)
    {
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None)) > 0)
            {
                await SendAllAsync(to, buffer.AsMemory(0, read));
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Either side closing ends the tunnel.
        }
    }
}
