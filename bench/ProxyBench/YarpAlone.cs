using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace ProxyBench;

/// <summary>
/// YARP's forwarder on Kestrel with nothing of ours: every 10th request to the second backend, YARP's
/// default transformer, the same client and socket settings as the proxy. What our rules, metrics,
/// wheel and forwarding fields cost is the difference between this row and the proxy's.
/// </summary>
internal sealed class YarpAlone : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _client;

    private YarpAlone(WebApplication app, HttpMessageInvoker client, int port)
    {
        _app = app;
        _client = client;
        Port = port;
    }

    public int Port { get; }

    public static async Task<YarpAlone> StartAsync(int primary, int canary)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddHttpForwarder();
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        });
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var config = new ForwarderRequestConfig { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        string[] prefixes = [$"http://127.0.0.1:{primary}", $"http://127.0.0.1:{canary}"];
        long n = 0;
        app.Run(async context => await forwarder.SendAsync(context, prefixes[Interlocked.Increment(ref n) % 10 == 0 ? 1 : 0], client, config, HttpTransformer.Default));
        await app.StartAsync();
        return new YarpAlone(app, client, new Uri(app.Urls.First()).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _client.Dispose();
    }
}
