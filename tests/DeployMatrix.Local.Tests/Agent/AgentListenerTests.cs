using System.Net;
using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Proxy;
using DeployMatrix.Local.Tests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Local.Tests.Agent;

/// <summary>A lane's listener settings reach Kestrel through the agent, survive an agent restart, and a deploy that changes them restarts the listener with the split intact.</summary>
public sealed class AgentListenerTests
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task TheLanesHeaderLimit_IsTheListeners_AndADeployWithOtherLimitsRestartsItKeepingTheSplit()
    {
        await using var h = new AgentHarness();
        var port = TestPorts.Free();
        var first = await DeployAsync(h, port, ListenerSettings.Default with { MaxHeaders = 10 });
        await h.SplitAsync("svc", (first.Name, 100));

        Assert.Equal(431, RawHttp.Status(await RawHttp.ExchangeAsync(port, Request(headers: 12))));
        Assert.Equal(200, RawHttp.Status(await RawHttp.ExchangeAsync(port, Request(headers: 5))));

        await DeployAsync(h, port, ListenerSettings.Default with { MaxHeaders = 20 });

        var answer = await RawHttp.ExchangeAsync(port, Request(headers: 12));
        Assert.Equal(200, RawHttp.Status(answer));
        Assert.Contains(first.Name, answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARestartedAgent_ListensWithTheRecordedSettings()
    {
        var port = TestPorts.Free();
        await using var h = new AgentHarness();
        var revision = await DeployAsync(h, port, ListenerSettings.Default with { MaxBodyBytes = 100 });
        await h.SplitAsync("svc", (revision.Name, 100));
        await h.Agent.DisposeAsync();

        await using var second = new LocalAgent(h.Paths, h.State, TimeProvider.System, new AgentOptions());
        await second.ReconcileAsync(CancellationToken.None);

        using var big = await Http.PostAsync(new Uri($"http://127.0.0.1:{port}/api/v1/control/status"), new ByteArrayContent(new byte[101]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
    }

    private static Task<RevisionView> DeployAsync(AgentHarness h, int port, ListenerSettings listener) =>
        h.DeployControlAsync("svc", port, listener: listener);

    private static string Request(int headers) =>
        "GET /api/v1/control/status HTTP/1.1\r\nHost: a\r\nConnection: close\r\n" + string.Concat(Enumerable.Range(0, headers - 2).Select(i => $"X-{i}: v\r\n")) + "\r\n";
}
