using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace DeployMatrix.Engine.Tests.Support;

/// <summary>A webhook receiver on a loopback port (Kestrel): keeps every request's raw body and headers, answers as the test says, or hangs.</summary>
public sealed class NotifyReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private NotifyReceiver(WebApplication app) => _app = app;

    /// <summary>The URL a channel's variable holds: a path with a secret in it, as Slack's and Google Chat's have.</summary>
    public string Url(string secretPath = "services/T000/B000/s3cr3t-path") => _app.Urls.First() + "/" + secretPath;

    public sealed record Received(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>The statuses to answer with, in turn; 200 once they run out.</summary>
    public ConcurrentQueue<int> Statuses { get; } = new();

    /// <summary>Never answers (until the client gives up).</summary>
    public bool Hang { get; set; }

    public static async Task<NotifyReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new NotifyReceiver(app);
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            receiver.Requests.Enqueue(new Received(context.Request.Path.Value ?? "", context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body.ToArray()));
            if (receiver.Hang)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            context.Response.StatusCode = receiver.Statuses.TryDequeue(out var status) ? status : 200;
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
