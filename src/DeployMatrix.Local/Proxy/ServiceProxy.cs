using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace DeployMatrix.Local.Proxy;

/// <summary>
/// A service's stable listener on loopback: each request goes to one revision, chosen by the current
/// <see cref="TrafficWheel"/>, through a byte-level HTTP/1.1 forwarder (<see cref="ProxyConnection"/>)
/// that records the outcome in that revision's metrics.
/// </summary>
public sealed class ServiceProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<ProxyConnection, byte> _connections = new();
    private Task _accepting = Task.CompletedTask;
    private TrafficWheel _wheel = TrafficWheel.Empty;
    private MaintenanceGate? _maintenance;

    private readonly ITimer _sweeper;

    private ServiceProxy(Socket listener, string env, string service, TimeSpan idleTimeout)
    {
        _listener = listener;
        Env = env;
        Service = service;
        IdleTimeout = idleTimeout;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var every = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(50).Ticks, idleTimeout.Ticks / 4));
        _sweeper = TimeProvider.System.CreateTimer(_ => CloseIdle(), null, every, every);
    }

    /// <value>The default is 120 s: a client connection with no request in progress for this long is closed
    /// (keep-alive connections nobody uses, and heads that never finish arriving).</value>
    public TimeSpan IdleTimeout { get; }

    /// <summary>
    /// Set to 1 in the environment of a process hosting proxies (the agent) before it opens any socket:
    /// socket completions then run the forwarder's continuation on the event thread instead of queueing it
    /// to the thread pool: about a third more requests per second on two cores (45k → 59k, docs/benchmarks.md). The
    /// forwarder never blocks; other code in that process must not block after a socket await either.
    /// </summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public string Env { get; }

    public string Service { get; }

    public int Port { get; }

    public TrafficWheel Wheel => Volatile.Read(ref _wheel);

    /// <summary>While set, requests pass the maintenance gate first (null: off, and no cost on the forwarding path).</summary>
    public MaintenanceGate? Maintenance
    {
        get => Volatile.Read(ref _maintenance);
        set => Volatile.Write(ref _maintenance, value);
    }

    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/> (0 picks a free port).</summary>
    /// <exception cref="SocketException">The port is taken.</exception>
    public static Task<ServiceProxy> StartAsync(string env, string service, int port, CancellationToken cancellationToken) =>
        StartAsync(env, service, port, TimeSpan.FromSeconds(120), cancellationToken);

    /// <inheritdoc cref="StartAsync(string, string, int, CancellationToken)"/>
    public static Task<ServiceProxy> StartAsync(string env, string service, int port, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            listener.Listen(1024);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        var proxy = new ServiceProxy(listener, env, service, idleTimeout);
        proxy._accepting = proxy.AcceptAsync();
        return Task.FromResult(proxy);
    }

    /// <summary>Swaps the traffic assignment atomically; requests in flight finish on the revision they went to.</summary>
    public void SetWheel(TrafficWheel wheel)
    {
        var old = Interlocked.Exchange(ref _wheel, wheel);
        foreach (var gone in old.Endpoints.Except(wheel.Endpoints))
        {
            gone.Pool.CloseIdle();
        }
    }

    internal void Forget(ProxyConnection connection) => _connections.TryRemove(connection, out _);

    private void CloseIdle()
    {
        var now = Environment.TickCount64;
        foreach (var connection in _connections.Keys)
        {
            if (connection.IdleSince is var since and > 0 && now - since > IdleTimeout.TotalMilliseconds)
            {
                connection.Close(); // the pending receive fails and the connection's loop ends
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // one failed accept (a client that reset before it was accepted) ends nothing
            }

            client.NoDelay = true;
            var connection = new ProxyConnection(client, this);
            _connections[connection] = 0;
            _ = connection.RunAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        foreach (var connection in _connections.Keys)
        {
            connection.Close();
        }

        foreach (var endpoint in Wheel.Endpoints)
        {
            endpoint.Pool.CloseIdle();
        }

        _stop.Dispose();
    }
}
