using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ProxyBench;

/// <summary>
/// Kestrel answering a fixed body of the backend's size without forwarding: the cost of the web server
/// our proxy is built on, in the same process and settings. No Kestrel-based proxy can beat this row.
/// </summary>
internal sealed class KestrelAlone : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KestrelAlone(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<KestrelAlone> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var body = "{\"service\":\"openagents-control-service\",\"version\":\"0.1.0\",\"revision\":\"local\",\"image\":\"unknown\",\"tag\":\"dev\",\"status\":\"ok\"}";
        app.Run(context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(body);
        });
        await app.StartAsync();
        return new KestrelAlone(app, new Uri(app.Urls.First()).Port);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
