using DeployMatrix.Core.Model;
using DeployMatrix.Examples.Echo;
using DeployMatrix.Local.Proxy;
using DeployMatrix.Tests.Support;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;

namespace DeployMatrix.Local.Tests.Proxy;

/// <summary>
/// The gRPC example's real service (Grpc.AspNetCore, HTTP/2 only) as two revisions behind the proxy at
/// 90/10, called with the real gRPC client over h2c: calls land by the weights, unary and server-streaming
/// calls are latency samples, bidirectional ones are counted as streamed.
/// </summary>
public sealed class GrpcThroughProxyTests : IAsyncLifetime
{
    private WebApplication _stable = null!;
    private WebApplication _canary = null!;
    private RevisionEndpoint _stableEndpoint = null!;
    private RevisionEndpoint _canaryEndpoint = null!;
    private ServiceProxy _proxy = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        var (stablePort, canaryPort) = (TestPorts.Free(), TestPorts.Free());
        _stable = EchoServer.Build(stablePort, "echo-00001-aaa");
        _canary = EchoServer.Build(canaryPort, "echo-00002-bbb");
        await Task.WhenAll(_stable.StartAsync(), _canary.StartAsync());
        _stableEndpoint = new RevisionEndpoint("echo-00001-aaa", stablePort, ServingProtocol.H2c);
        _canaryEndpoint = new RevisionEndpoint("echo-00002-bbb", canaryPort, ServingProtocol.H2c);
        _proxy = await ServiceProxy.StartAsync("staging", "echo", 0, CancellationToken.None);
        _proxy.SetWheel(TrafficWheel.Build([(_stableEndpoint, 90), (_canaryEndpoint, 10)]));
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_proxy.Port}");
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _proxy.DisposeAsync();
        await _stable.DisposeAsync();
        await _canary.DisposeAsync();
    }

    [Fact]
    public async Task UnaryAndStreamingCalls_LandByThe90_10Split_WithinFivePointsOver2000Each()
    {
        var client = new Echo.EchoClient(_channel);
        var unary = 0;
        var streaming = 0;
        for (var i = 0; i < 2000; i++)
        {
            if ((await client.SayAsync(new SayRequest { Text = "hi" })).Revision == "echo-00001-aaa")
            {
                unary++;
            }
        }

        // Apart from the unary calls: alternating two kinds of call on a 100-slot wheel would give each kind every other slot.
        for (var i = 0; i < 2000; i++)
        {
            using var call = client.Count(new CountRequest { Count = 3 });
            var answers = new List<string>();
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                answers.Add(call.ResponseStream.Current.Revision);
            }

            Assert.Equal(3, answers.Count);
            Assert.Single(answers.Distinct());
            streaming += answers[0] == "echo-00001-aaa" ? 1 : 0;
        }

        Assert.InRange(unary / 20.0, 85, 95);
        Assert.InRange(streaming / 20.0, 85, 95);
        var (stable, canary) = (_stableEndpoint.Metrics.Snapshot(), _canaryEndpoint.Metrics.Snapshot());
        Assert.Equal(4000, stable.Requests + canary.Requests);
        Assert.Equal(4000, stable.Status2xx + canary.Status2xx);
        Assert.Equal(4000, stable.Histogram.Sum() + canary.Histogram.Sum());
    }

    [Fact]
    public async Task BidirectionalCalls_AreCountedAsStreamed_NeverAsLatencySamples()
    {
        var client = new Echo.EchoClient(_channel);
        for (var i = 0; i < 20; i++)
        {
            using var chat = client.Chat();
            await chat.RequestStream.WriteAsync(new SayRequest { Text = "one" });
            Assert.True(await chat.ResponseStream.MoveNext(CancellationToken.None));
            await chat.RequestStream.WriteAsync(new SayRequest { Text = "two" });
            Assert.True(await chat.ResponseStream.MoveNext(CancellationToken.None));
            await chat.RequestStream.CompleteAsync();
            Assert.False(await chat.ResponseStream.MoveNext(CancellationToken.None));
        }

        var (stable, canary) = (_stableEndpoint.Metrics.Snapshot(), _canaryEndpoint.Metrics.Snapshot());
        Assert.Equal(20, stable.Streamed + canary.Streamed);
        Assert.Equal(0, stable.Histogram.Sum() + canary.Histogram.Sum());
    }

    [Fact]
    public async Task AnHttp1Client_ReachesTheH2cRevision_ThroughTheSameListener()
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        var body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{_proxy.Port}/healthz"));

        Assert.Equal("ok\n", body);
    }
}
