using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DeployMatrix.Engine.Tests.Support;

/// <summary>A real HTTP service on a loopback port (Kestrel): each path answers as the test says; every request is kept.</summary>
public sealed class LoopbackService : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackService(WebApplication app) => _app = app;

    public Uri Url => new(_app.Urls.First() + "/");

    /// <summary>Answers by path: status, body and headers; a missing path answers 404.</summary>
    public ConcurrentDictionary<string, (int Status, string Body, string? Header)> Answers { get; } = new(StringComparer.Ordinal);

    /// <summary>"GET /path auth=…" for each request, in order (with " serverless=…" when it carried X-Serverless-Authorization).</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>How long every answer waits before its first byte.</summary>
    public TimeSpan Delay { get; set; }

    public static async Task<LoopbackService> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var service = new LoopbackService(app);
        app.Run(async context =>
        {
            var serverless = context.Request.Headers["X-Serverless-Authorization"].ToString();
            service.Requests.Enqueue($"{context.Request.Method} {context.Request.Path} auth={context.Request.Headers.Authorization}{(serverless.Length > 0 ? $" serverless={serverless}" : "")}");
            if (service.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(service.Delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            if (!service.Answers.TryGetValue(context.Request.Path.Value ?? "/", out var answer))
            {
                context.Response.StatusCode = 404;
                return;
            }

            context.Response.StatusCode = answer.Status;
            if (answer.Header is { } header)
            {
                var colon = header.IndexOf(':', StringComparison.Ordinal);
                context.Response.Headers[header[..colon].Trim()] = header[(colon + 1)..].Trim();
            }

            await context.Response.WriteAsync(answer.Body);
        });
        await app.StartAsync();
        return service;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
