using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DeployMatrix.Examples.Echo;

/// <summary>
/// The service: gRPC over HTTP/2 cleartext only (as a Cloud Run service with end-to-end HTTP/2 listens),
/// plus the <c>/healthz</c> and <c>/readyz</c> probes, on 127.0.0.1:<c>PORT</c>.
/// </summary>
public static class EchoServer
{
    /// <param name="revision">The name every answer carries (the platform's DEPLOYMATRIX_REVISION).</param>
    public static WebApplication Build(int port, string revision)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new EchoIdentity(revision));
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        app.MapGet("/healthz", () => "ok\n");
        app.MapGet("/readyz", () => "ready\n");
        return app;
    }
}

/// <summary>Who answers.</summary>
public sealed record EchoIdentity(string Revision);

/// <summary>Echo's three calls, each answer naming the revision.</summary>
public sealed class EchoService(EchoIdentity identity) : Echo.EchoBase
{
    public override Task<SayReply> Say(SayRequest request, ServerCallContext context) =>
        Task.FromResult(new SayReply { Text = request.Text, Revision = identity.Revision });

    public override async Task Count(CountRequest request, IServerStreamWriter<SayReply> responseStream, ServerCallContext context)
    {
        for (var i = 1; i <= request.Count; i++)
        {
            await responseStream.WriteAsync(new SayReply { Text = i.ToString(System.Globalization.CultureInfo.InvariantCulture), Revision = identity.Revision }, context.CancellationToken);
        }
    }

    public override async Task Chat(IAsyncStreamReader<SayRequest> requestStream, IServerStreamWriter<SayReply> responseStream, ServerCallContext context)
    {
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(new SayReply { Text = request.Text, Revision = identity.Revision }, context.CancellationToken);
        }
    }
}
