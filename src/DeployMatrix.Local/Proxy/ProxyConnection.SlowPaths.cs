using System.Net.Sockets;

namespace DeployMatrix.Local.Proxy;

/// <summary>The rarer shapes of an exchange: bodies that stream, 100-continue, interim answers, upgrades.</summary>
internal sealed partial class ProxyConnection
{
    private static readonly byte[] Continue = "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray();

    /// <summary>Sends a request that asked for 100-continue or whose body has not all arrived yet.</summary>
    private async Task SendRequestSlowAsync(UpstreamConnection upstream, RequestHead request, int bufferedBody, bool bodyDone)
    {
        if (request.ExpectsContinue)
        {
            if (!bodyDone)
            {
                // Answer 100 Continue here so the body is on its way while the revision reads the head.
                await SendAllAsync(_client, Continue);
            }

            await SendAllAsync(upstream.Socket, Http1.WithoutExpect(_buffer.AsSpan(_start, request.Length)));
            await SendAllAsync(upstream.Socket, _buffer.AsMemory(_start + request.Length, bufferedBody));
        }
        else
        {
            await SendAllAsync(upstream.Socket, _buffer.AsMemory(_start, request.Length + bufferedBody));
        }

        if (!bodyDone)
        {
            await StreamBodyAsync(upstream, request, bufferedBody);
        }
    }

    /// <summary>Copies the rest of a request body from the client once the buffered part is sent.</summary>
    private async Task StreamBodyAsync(UpstreamConnection upstream, RequestHead request, int bufferedBody)
    {
        var remaining = request.ContentLength - bufferedBody;
        var scanner = default(ChunkedScanner);
        if (request.Framing == BodyFraming.Chunked)
        {
            _ = scanner.Scan(_buffer.AsSpan(_start + request.Length, bufferedBody));
        }

        _start = _end = 0;
        while (true)
        {
            var read = await _client.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("the client closed the connection in the middle of a request body");
            }

            var body = TakeBody(request.Framing, _buffer.AsSpan(0, read), ref remaining, ref scanner, out var done);
            await SendAllAsync(upstream.Socket, _buffer.AsMemory(0, body));
            if (done)
            {
                // What follows the body is the client's next request.
                _start = body;
                _end = read;
                return;
            }
        }
    }

    /// <summary>Passes an interim (1xx) answer to the client; returns the bytes left after it.</summary>
    private async Task<int> RelayInterimAsync(UpstreamConnection upstream, int headEnd, int used)
    {
        await SendAllAsync(_client, upstream.Buffer.AsMemory(0, headEnd));
        upstream.Buffer.AsSpan(headEnd, used - headEnd).CopyTo(upstream.Buffer);
        return used - headEnd;
    }

    /// <summary>After 101 Switching Protocols both sides talk directly until either closes.</summary>
    private async Task TunnelAsync(UpstreamConnection upstream)
    {
        await SendAllAsync(_client, upstream.Buffer.AsMemory(0, upstream.Used));
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
