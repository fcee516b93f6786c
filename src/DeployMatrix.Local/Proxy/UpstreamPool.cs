using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace DeployMatrix.Local.Proxy;

/// <summary>One kept-alive connection from the proxy to a revision, with its own receive buffer.</summary>
internal sealed class UpstreamConnection : IDisposable
{
    public const int BufferSize = 16 * 1024;

    private UpstreamConnection(Socket socket)
    {
        Socket = socket;
        Buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    }

    public Socket Socket { get; }

    public byte[] Buffer { get; private set; }

    /// <summary>Bytes of <see cref="Buffer"/> holding the current response (its head and what came with it).</summary>
    public int Used { get; set; }

    /// <summary><see cref="Environment.TickCount64"/> when it last went back to the pool.</summary>
    public long IdleSince { get; set; }

    public static async Task<UpstreamConnection> ConnectAsync(int port, TimeSpan timeout)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
            return new UpstreamConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Grows the buffer (keeping its content) for a head that does not fit.</summary>
    public void Grow(int used)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Buffer.Length * 2);
        Buffer.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(Buffer);
        Buffer = bigger;
    }

    public void Dispose()
    {
        Socket.Dispose();
        var buffer = Buffer;
        Buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// Idle connections to one revision, most recently used first (hot sockets stay hot). A connection idle
/// for longer than the revision is likely to keep it open is closed rather than reused.
/// </summary>
/// <remarks>
/// The pool is split in shards by thread: with inline socket completions each event thread forwards
/// its own requests, takes from and returns to its own shard, and so never waits on a lock another
/// thread holds — on a busy machine that thread may be descheduled while holding it. A thread whose
/// shard is empty borrows from the others before it opens a new connection.
/// </remarks>
internal sealed class UpstreamPool(int port) : IDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private const long MaxIdleMs = 30_000;
    private const int MaxIdlePerShard = 64;
    private const int Shards = 4;

    private readonly Stack<UpstreamConnection>[] _shards = [.. Enumerable.Range(0, Shards).Select(_ => new Stack<UpstreamConnection>())];
    private volatile bool _closed;

    private static int Home => Environment.CurrentManagedThreadId & (Shards - 1);

    /// <summary>The most recently used idle connection (this thread's first), or null when there is none worth reusing.</summary>
    public UpstreamConnection? TakeIdle()
    {
        var home = Home;
        for (var i = 0; i < Shards; i++)
        {
            if (Take(_shards[(home + i) & (Shards - 1)]) is { } idle)
            {
                return idle;
            }
        }

        return null;
    }

    public Task<UpstreamConnection> ConnectAsync() => UpstreamConnection.ConnectAsync(port, ConnectTimeout);

    public void Return(UpstreamConnection connection)
    {
        var shard = _shards[Home];
        lock (shard)
        {
            if (!_closed && shard.Count < MaxIdlePerShard)
            {
                connection.IdleSince = Environment.TickCount64;
                shard.Push(connection);
                return;
            }
        }

        connection.Dispose();
    }

    /// <summary>Closes the idle connections (the revision left the wheel); it stays usable if it comes back.</summary>
    public void CloseIdle()
    {
        foreach (var shard in _shards)
        {
            lock (shard)
            {
                while (shard.TryPop(out var idle))
                {
                    idle.Dispose();
                }
            }
        }
    }

    public void Dispose()
    {
        _closed = true;
        CloseIdle();
    }

    private static UpstreamConnection? Take(Stack<UpstreamConnection> shard)
    {
        lock (shard)
        {
            var now = Environment.TickCount64;
            while (shard.TryPop(out var idle))
            {
                if (now - idle.IdleSince < MaxIdleMs)
                {
                    return idle;
                }

                idle.Dispose();
            }
        }

        return null;
    }
}
