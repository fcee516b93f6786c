using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace DeployMatrix.Local.Proxy;

/// <summary>
/// A service's stable listener on loopback (127.0.0.1 and ::1, one port): Kestrel parses and limits each
/// request, our middleware refuses what Kestrel lets through but a proxy must not (<see cref="RequestRules"/>)
/// and answers for maintenance, then YARP's forwarder sends it to one revision, chosen by the current
/// <see cref="TrafficWheel"/>, counting the answer in that revision's metrics. HTTP/1.1 and HTTP/2 (h2c by
/// prior knowledge, or ALPN over TLS) on the same port; WebSockets pass through.
/// </summary>
public sealed partial class ServiceProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ProxyHandler _handler;

    private ServiceProxy(WebApplication app, ProxyHandler handler, string env, string service, int port, ListenerSettings settings)
    {
        _app = app;
        _handler = handler;
        Env = env;
        Service = service;
        Port = port;
        Settings = settings;
    }

    /// <summary>
    /// Set to 1 in the environment of a process hosting proxies (the agent) before it opens any socket:
    /// socket completions, Kestrel's and the forwarder's upstream connections alike, then run their
    /// continuations on the event thread instead of queueing them to the thread pool (docs/benchmarks.md).
    /// Nothing on the forwarding path blocks; other code in that process must not block after a socket await either.
    /// </summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public string Env { get; }

    public string Service { get; }

    public int Port { get; }

    public ListenerSettings Settings { get; }

    /// <summary>Whether the listener speaks TLS (its URL is https).</summary>
    public bool Tls => Settings.TlsCertificate is not null;

    public TrafficWheel Wheel => _handler.Wheel;

    /// <summary>While set, requests pass the maintenance gate first (null: off, and no cost on the forwarding path).</summary>
    public MaintenanceGate? Maintenance
    {
        get => _handler.Maintenance;
        set => _handler.Maintenance = value;
    }

    /// <summary>Starts listening on port <paramref name="port"/> of 127.0.0.1 and ::1 (0 picks a port free on both) with the default settings.</summary>
    /// <exception cref="SocketException">The port is taken (<see cref="SocketError.AddressAlreadyInUse"/>).</exception>
    public static Task<ServiceProxy> StartAsync(string env, string service, int port, CancellationToken cancellationToken) =>
        StartAsync(env, service, port, ListenerSettings.Default, TimeProvider.System, cancellationToken);

    /// <inheritdoc cref="StartAsync(string, string, int, CancellationToken)"/>
    /// <param name="time">The clock of request timeouts (and of the maintenance cookies' expiry, through the gate).</param>
    public static async Task<ServiceProxy> StartAsync(string env, string service, int port, ListenerSettings settings, TimeProvider time, CancellationToken cancellationToken)
    {
        // RFC 9112 §2.2 lets a server take a bare LF for CRLF; Kestrel does unless told not to. A revision
        // that does not would read another message than the one we checked: the listener wants CRLF.
        AppContext.SetSwitch("Microsoft.AspNetCore.Server.Kestrel.DisableHttp1LineFeedTerminators", true);
        var certificate = settings.TlsCertificate is { } cert ? X509Certificate2.CreateFromPemFile(cert, settings.TlsKey) : null;
        for (var attempt = 1; ; attempt++)
        {
            var chosen = port == 0 ? Supervisor.Ports.Free() : port;
            try
            {
                return await StartOnAsync(env, service, chosen, settings, certificate, time, ipv6: true, cancellationToken);
            }
            catch (IOException e) when (e.InnerException is AddressInUseException && port == 0 && attempt < 10)
            {
                // The port was free on 127.0.0.1 but taken on ::1 (or taken since): another one.
            }
            catch (IOException e) when (e.InnerException is AddressInUseException)
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse, e.Message);
            }
            catch (IOException e) when (IsNoIpv6(e))
            {
                // A host without IPv6 (disabled, or ::1 not configured) listens on 127.0.0.1 alone.
                return await StartOnAsync(env, service, chosen, settings, certificate, time, ipv6: false, cancellationToken);
            }
        }
    }

    private static bool IsNoIpv6(IOException e) =>
        e.InnerException is SocketException { SocketErrorCode: SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported }
        || e.InnerException?.InnerException is SocketException { SocketErrorCode: SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported };

    private static async Task<ServiceProxy> StartOnAsync(
        string env, string service, int port, ListenerSettings settings, X509Certificate2? certificate, TimeProvider time, bool ipv6, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // The forwarder's activity timer follows the same clock as the request timeout.
        builder.Services.AddSingleton(time);
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton<IConnectionListenerFactory, H2cHandoff.Factory>();
        // With inline socket completions (the agent's setting), Kestrel's own pipes run inline as well:
        // nothing on the forwarding path blocks, so no request waits for a thread-pool hop.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = Environment.GetEnvironmentVariable(InlineCompletionsVariable) == "1");
        var handoff = new H2cHandoff(settings.IdleTimeout);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var limits = kestrel.Limits;
            limits.MaxRequestHeadersTotalSize = settings.MaxHeaderBytes;
            limits.MaxRequestHeaderCount = settings.MaxHeaders;
            limits.Http2.MaxRequestHeaderFieldSize = settings.MaxHeaderBytes;
            limits.MaxRequestBodySize = settings.MaxBodyBytes;
            limits.KeepAliveTimeout = settings.IdleTimeout;
            limits.RequestHeadersTimeout = settings.IdleTimeout < TimeSpan.FromSeconds(30) ? settings.IdleTimeout : TimeSpan.FromSeconds(30);
            if (certificate is null)
            {
                kestrel.Listen(H2cHandoff.EndPoint, handoff.Capture);
            }

            foreach (var address in ipv6 ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : new[] { IPAddress.Loopback })
            {
                kestrel.Listen(address, port, listen =>
                {
                    if (certificate is not null)
                    {
                        listen.Protocols = HttpProtocols.Http1AndHttp2;
                        listen.UseHttps(certificate);
                    }
                    else
                    {
                        listen.Protocols = HttpProtocols.Http1;
                        listen.Use(handoff.Route);
                    }
                });
            }
        });
        var app = builder.Build();
        var handler = new ProxyHandler(env, service, app.Services.GetRequiredService<IHttpForwarder>(), time);
        app.Run(handler.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            handler.Dispose();
            throw;
        }

        return new ServiceProxy(app, handler, env, service, port, settings);
    }

    /// <summary>Swaps the traffic assignment atomically; requests in flight finish on the revision they went to.</summary>
    public void SetWheel(TrafficWheel wheel) => _handler.Wheel = wheel;

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stop.Token);
        }

        await _app.DisposeAsync();
        _handler.Dispose();
    }
}
