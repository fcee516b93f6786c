using System.Text.Json;
using DeployMatrix.Examples.Echo;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;
using Grpc.Net.Client;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>
/// The gRPC example end to end on the local platform: built and deployed by the real commands (an h2c
/// lane: the readiness probe and the smoke check speak HTTP/2), two revisions split 90/10, and real gRPC
/// calls through the service's listener landing by the weights.
/// </summary>
public sealed class GrpcTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly int _port = TestPorts.Free();
    private bool _agent;

    public Task InitializeAsync()
    {
        GrpcExample.CopyTo(_dir, _port);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        if (_agent)
        {
            Cli("agent", "stop");
        }

        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task TheGrpcExample_DeploysWithAnH2cLane_AndCallsLandByA90_10Split()
    {
        Ok(Cli("build", "echo", "--tag", "t1"));
        Ok(Cli("agent", "start"));
        _agent = true;
        Ok(Cli("deploy", "echo", "--env", "staging", "--tag", "t1"));
        var first = Status().GetProperty("latest_ready_revision").GetString()!;
        Ok(Cli("deploy", "echo", "--env", "staging", "--tag", "t1"));
        var second = Status().GetProperty("latest_ready_revision").GetString()!;
        Ok(Cli("traffic", "echo", "--env", "staging", "--to", $"{first}=90,{second}=10"));

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_port}");
        var client = new Echo.EchoClient(channel);
        var unary = 0;
        for (var i = 0; i < 1000; i++)
        {
            unary += (await client.SayAsync(new SayRequest { Text = "hi" })).Revision == first ? 1 : 0;
        }

        var streaming = 0;
        for (var i = 0; i < 1000; i++)
        {
            using var call = client.Count(new CountRequest { Count = 2 });
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                streaming += call.ResponseStream.Current.Revision == first ? 1 : 0;
            }
        }

        Assert.InRange(unary / 10.0, 85, 95);
        Assert.InRange(streaming / 20.0, 85, 95);
        var revisions = Status().GetProperty("revisions").EnumerateArray().ToList();
        Assert.Equal(2000, revisions.Sum(r => r.GetProperty("metrics").GetProperty("requests").GetInt64()));
    }

    private JsonElement Status()
    {
        var run = Ok(Cli("status", "echo", "--env", "staging", "--output", "json"));
        var root = JsonDocument.Parse(run.Out).RootElement;
        return root.GetProperty("services")[0];
    }

    private CliRun Cli(params string[] args) => CliRun.Invoke(_dir.Path, ["--platform", "local", .. args]);

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }
}
