using System.Globalization;
using DeployMatrix.Examples.Echo;
using Grpc.Net.Client;

// grpc-echo                    serve on 127.0.0.1:$PORT (h2c), answering as $DEPLOYMATRIX_REVISION
// grpc-echo call URL [COUNT]   COUNT unary and COUNT streaming calls (default 200) to URL; prints how many each revision answered
if (args is ["call", var url, ..])
{
    var count = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
    using var channel = GrpcChannel.ForAddress(url);
    var client = new Echo.EchoClient(channel);
    var unary = new Dictionary<string, int>(StringComparer.Ordinal);
    var streamed = new Dictionary<string, int>(StringComparer.Ordinal);
    for (var i = 0; i < count; i++)
    {
        var reply = await client.SayAsync(new SayRequest { Text = "hello" });
        unary[reply.Revision] = unary.GetValueOrDefault(reply.Revision) + 1;
        using var call = client.Count(new CountRequest { Count = 3 });
        string? revision = null;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            revision = call.ResponseStream.Current.Revision;
        }

        streamed[revision ?? "none"] = streamed.GetValueOrDefault(revision ?? "none") + 1;
    }

    foreach (var (kind, counts) in new[] { ("unary", unary), ("streaming", streamed) })
    {
        foreach (var (revision, n) in counts.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{kind} {revision} {n} ({100.0 * n / count:F1}%)"));
        }
    }

    return 0;
}

var port = int.Parse(Environment.GetEnvironmentVariable("PORT") ?? "8080", CultureInfo.InvariantCulture);
await using var app = EchoServer.Build(port, Environment.GetEnvironmentVariable("DEPLOYMATRIX_REVISION") ?? "local");
await app.RunAsync();
return 0;
