using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DeployMatrix.Local.Tests.Support;

/// <summary>
/// A revision with the loosest HTTP/1.1 parser one could write, on a raw socket: it takes every "\r\n\r\n"
/// as the end of a head, frames bodies by a Content-Length it finds anywhere (ignoring Transfer-Encoding),
/// and answers each head it reads with the request line it read, after <see cref="Delay"/>. Had a smuggled
/// request reached it, it would answer it — and a later client on the same upstream connection would get
/// that answer. It records every byte and every request line it receives.
/// </summary>
internal sealed class NaiveBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly ConcurrentQueue<Task> _connections = new();
    private long _bytes;
    private int _accepted;

    public NaiveBackend()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How long each answer waits: a slow revision keeps pooled upstream connections busy.</summary>
    public TimeSpan Delay { get; init; }

    public long BytesReceived => Interlocked.Read(ref _bytes);

    public int ConnectionsAccepted => Volatile.Read(ref _accepted);

    public ConcurrentQueue<string> RequestLines { get; } = new();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _connections.Enqueue(ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        var pending = new StringBuilder();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
            {
                Interlocked.Add(ref _bytes, read);
                pending.Append(Encoding.Latin1.GetString(buffer, 0, read));
                while (TakeRequest(pending) is { } requestLine)
                {
                    RequestLines.Enqueue(requestLine);
                    if (Delay > TimeSpan.Zero)
                    {
                        await Task.Delay(Delay, _stop.Token);
                    }

                    var body = Encoding.Latin1.GetBytes(requestLine);
                    await socket.SendAsync(Encoding.Latin1.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n").Concat(body).ToArray(), SocketFlags.None, _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The proxy or the test went away.
        }
    }

    /// <summary>The next request line, with its head and Content-Length bytes of body taken off the buffer; null until a whole one is there.</summary>
    private static string? TakeRequest(StringBuilder pending)
    {
        var text = pending.ToString();
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return null;
        }

        var head = text[..end];
        var length = 0;
        foreach (var line in head.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals("content-length", StringComparison.OrdinalIgnoreCase) && int.TryParse(line[(colon + 1)..].Trim(), out var n))
            {
                length = n;
            }
        }

        if (text.Length < end + 4 + length)
        {
            return null;
        }

        pending.Remove(0, end + 4 + length);
        return head.Split("\r\n")[0];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        await Task.WhenAll(_connections);
        _stop.Dispose();
    }
}
