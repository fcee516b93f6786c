using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Telemetry;

/// <summary>The CLI as its own process, exporting its trace over OTLP/HTTP to a collector on loopback.</summary>
public sealed class TraceExportTests
{
    [Fact]
    public async Task WithAnEndpoint_TheCommandsTraceIsPostedToTheCollector()
    {
        using var collector = new HttpListener();
        var port = TestPorts.Free();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = Task.Run(async () =>
        {
            var context = await collector.GetContextAsync();
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            context.Response.StatusCode = 200;
            context.Response.Close();
            return (context.Request.Url!.AbsolutePath, Encoding.UTF8.GetString(body.ToArray()));
        });

        await using var cli = CliProcess.Start(ExampleDir, Otlp(port), "validate");

        Assert.Equal(0, await cli.ExitAsync(TimeSpan.FromSeconds(60)));
        var (path, protobuf) = await received.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("/v1/traces", path);
        // OTLP's protobuf keeps strings as they are: the service name and the command's span name.
        Assert.Contains("deploymatrix validate", protobuf, StringComparison.Ordinal);
        Assert.Contains("service.name", protobuf, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACollectorThatNeverAnswers_DelaysTheExitByTheFlushBoundOnly()
    {
        // Accepts connections and never answers: only the flush bound (2 s) lets the command end before the exporter's timeout (60 s here).
        using var hanging = new TcpListener(IPAddress.Loopback, 0);
        hanging.Start();
        var port = ((IPEndPoint)hanging.LocalEndpoint).Port;
        var env = new Dictionary<string, string>(Otlp(port)) { ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "60000" };
        var clock = Stopwatch.StartNew();

        await using var cli = CliProcess.Start(ExampleDir, env, "validate");

        Assert.Equal(0, await cli.ExitAsync(TimeSpan.FromSeconds(40)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static string ExampleDir => Path.GetDirectoryName(RepoPaths.Example)!;

    private static Dictionary<string, string> Otlp(int port) => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
    };

}
