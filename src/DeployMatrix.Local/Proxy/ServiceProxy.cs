using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace DeployMatrix.Local.Proxy;

/// <summary>
/// A service's stable listener: a Kestrel server on loopback that forwards each request with YARP's
/// forwarder to one revision, chosen by the current <see cref="TrafficWheel"/>, and records the
/// outcome in that revision's metrics.
/// </summary>
public sealed class ServiceProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _client;
    private TrafficWheel _wheel = TrafficWheel.Empty;

    private ServiceProxy(WebApplication app, HttpMessageInvoker client, string env, string service)
    {
        _app = app;
        _client = client;
        Env = env;
        Service = service;
    }

    public string Env { get; }

    public string Service { get; }

    public int Port { get; private set; }

    public TrafficWheel Wheel => Volatile.Read(ref _wheel);

    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/> (0 picks a free port).</summary>
    public static async Task<ServiceProxy> StartAsync(string env, string service, int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null;
        });
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ActivityHeadersPropagator = null,
        });
        var proxy = new ServiceProxy(app, client, env, service);
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        app.Run(context => proxy.HandleAsync(context, forwarder));
        await app.StartAsync(cancellationToken);
        proxy.Port = new Uri(app.Urls.First()).Port;
        return proxy;
    }

    /// <summary>Swaps the traffic assignment atomically; requests in flight finish on the revision they went to.</summary>
    public void SetWheel(TrafficWheel wheel) => Volatile.Write(ref _wheel, wheel);

    // Revisions speak HTTP/1.1 on loopback: asking for exactly that skips version negotiation on every request.
    private static readonly ForwarderRequestConfig RequestConfig = new()
    {
        ActivityTimeout = TimeSpan.FromSeconds(100),
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private async Task HandleAsync(HttpContext context, IHttpForwarder forwarder)
    {
        var endpoint = Wheel.Next();
        if (endpoint is null)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync($"deploymatrix: no revision of {Service} ({Env}) takes traffic\n");
            return;
        }

        endpoint.Enter();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var error = await forwarder.SendAsync(context, endpoint.Prefix, _client, RequestConfig, HttpTransformer.Default);
            var status = error == ForwarderError.None ? context.Response.StatusCode : 0;
            endpoint.Metrics.Record(status, Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            endpoint.Leave();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _client.Dispose();
    }
}
