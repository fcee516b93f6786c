using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace DeployMatrix.Local.Proxy;

/// <summary>
/// One client connection to a service's listener. Each request goes to the revision the wheel picks
/// for it, over a pooled keep-alive connection; heads and bodies are forwarded byte for byte, with just
/// enough parsing to know where each message ends. One loop and one buffer per connection, bytes never
/// turned into header objects: this is what lets a managed proxy keep up with nginx on the same cores.
/// </summary>
internal sealed partial class ProxyConnection(Socket client, ServiceProxy proxy) : IDisposable
{
    private readonly Socket _client = client;
    private static readonly byte[] Continue = "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray();

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(UpstreamConnection.BufferSize);
    private int _start;
    private int _end;

    public async Task RunAsync()
    {
        try
        {
            while (await ReadHeadAsync() is var headLength and > 0)
            {
                if (Http1.ParseRequest(_buffer.AsSpan(_start, headLength)) is not { } request)
                {
                    await SendErrorAsync(400, "Bad Request", "deploymatrix: malformed request head");
                    return;
                }

                if (!await ForwardAsync(request))
                {
                    return;
                }
            }

            if (_end - _start >= Http1.MaxHeadBytes)
            {
                await SendErrorAsync(431, "Request Header Fields Too Large", "deploymatrix: request head over 64 KiB");
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

    public void Dispose()
    {
        _client.Dispose();
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Bytes of the next complete request head at <c>_start</c>; 0 at the end of the connection or when the head is too big.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadHeadAsync()
    {
        var searched = 0;
        while (true)
        {
            var end = Http1.FindHeadEnd(_buffer.AsSpan(_start, _end - _start), searched);
            if (end > 0)
            {
                return end;
            }

            searched = _end - _start;
            if (searched >= Http1.MaxHeadBytes)
            {
                return 0;
            }

            MakeRoom();
            var read = await _client.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
            if (read == 0)
            {
                return 0;
            }

            _end += read;
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

    /// <returns>Whether the client connection may carry another request.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ForwardAsync(RequestHead request)
    {
        var endpoint = proxy.Wheel.Next();
        if (endpoint is null)
        {
            await SendErrorAsync(503, "Service Unavailable", $"deploymatrix: no revision of {proxy.Service} ({proxy.Env}) takes traffic");
            return false;
        }

        endpoint.Enter();
        var started = Stopwatch.GetTimestamp();
        _endpoint = endpoint;
        _request = request;
        _answered = false;
        try
        {
            var outcome = await ExchangeAsync();
            endpoint.Metrics.Record(outcome.Status, Stopwatch.GetElapsedTime(started));
            return outcome.KeepClient;
        }
        finally
        {
            endpoint.Leave();
        }
    }

    private async Task SendErrorAsync(int status, string reason, string message)
    {
        var body = message + "\n";
        var bytes = Encoding.UTF8.GetBytes($"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {Encoding.UTF8.GetByteCount(body)}\r\nconnection: close\r\n\r\n{body}");
        await SendAllAsync(_client, bytes);
    }

    internal static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None);
            data = data[sent..];
        }
    }

    private readonly record struct Outcome(int Status, bool KeepClient);
}
