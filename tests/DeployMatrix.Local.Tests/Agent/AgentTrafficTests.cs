using System.Net;
using System.Net.Sockets;
using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Tests.Support;
using DeployMatrix.Tests.Support;
using DeployMatrix.State;

namespace DeployMatrix.Local.Tests.Agent;

/// <summary>Real revisions (the example's Rust control service) behind the agent's real proxy.</summary>
public sealed class AgentTrafficTests
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Split_75_25_IsMeasuredWithinFivePointsOver2000Requests()
    {
        await using var h = new AgentHarness();
        var port = TestPorts.Free();
        var a = await h.DeployControlAsync("svc", port);
        var b = await h.DeployControlAsync("svc", port);
        await h.SplitAsync("svc", (a.Name, 75), (b.Name, 25));

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < 2000; i++)
        {
            var body = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/api/v1/control/status"));
            var revision = body.Contains(a.Name, StringComparison.Ordinal) ? a.Name : b.Name;
            counts[revision] = counts.GetValueOrDefault(revision) + 1;
        }

        Assert.InRange(counts[a.Name] / 20.0, 70, 80);
        Assert.InRange(counts[b.Name] / 20.0, 20, 30);
        var view = h.Agent.GetService("staging", "svc")!;
        Assert.Equal(2000, view.Revisions.Sum(r => r.Metrics?.Requests ?? 0));
    }

    [Fact]
    public async Task FullSwitchAndRollback_UnderConstantLoad_FailNoRequest()
    {
        await using var h = new AgentHarness();
        var port = TestPorts.Free();
        var old = await h.DeployControlAsync("svc", port);
        await h.SplitAsync("svc", (old.Name, 100));
        var next = await h.DeployControlAsync("svc", port);

        await using var load = new LoadClient(new Uri($"http://127.0.0.1:{port}/api/v1/control/status"), workers: 8, limit: TimeSpan.FromSeconds(60));
        await Task.Delay(500);
        await h.SplitAsync("svc", (next.Name, 100));
        await Task.Delay(1500);
        await h.SplitAsync("svc", (old.Name, 100));
        await Task.Delay(1500);
        await load.StopAsync();

        Assert.Empty(load.Failures);
        Assert.True(load.Ok > 200, $"only {load.Ok} requests were sent");
    }

    [Fact]
    public async Task RevisionThatLosesTraffic_DrainsThenStops_AndComesBackForARollback()
    {
        await using var h = new AgentHarness();
        var port = TestPorts.Free();
        var old = await h.DeployControlAsync("svc", port);
        await h.SplitAsync("svc", (old.Name, 100));
        var next = await h.DeployControlAsync("svc", port);
        await h.SplitAsync("svc", (next.Name, 100));

        await WaitUntil(() => h.State.FindRevision(old.Name)!.Status == RevisionStatus.Stopped, TimeSpan.FromSeconds(15));
        Assert.Equal("stop", h.State.FindRevision(old.Name)!.Desired);

        await h.SplitAsync("svc", (old.Name, 100));

        var body = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/api/v1/control/status"));
        Assert.Contains(old.Name, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailedReadiness_MarksTheRevisionFailed_AndLeavesTrafficUntouched()
    {
        await using var h = new AgentHarness(new AgentOptions { ReadinessTimeout = TimeSpan.FromSeconds(2), StopGrace = TimeSpan.FromSeconds(2) });
        var port = TestPorts.Free();
        var good = await h.DeployControlAsync("svc", port);
        await h.SplitAsync("svc", (good.Name, 100));

        var refused = await Assert.ThrowsAsync<AgentException>(() => h.DeployControlAsync("svc", port, new() { ["FAULT_NOT_READY"] = "1" }));

        Assert.Equal(422, refused.Status);
        Assert.Contains("failed readiness", refused.Message, StringComparison.Ordinal);
        Assert.Contains("traffic is unchanged", refused.Message, StringComparison.Ordinal);
        var view = h.Agent.GetService("staging", "svc")!;
        Assert.Equal([new TrafficEntry(good.Name, 100)], view.Traffic);
        Assert.Equal(RevisionStatus.Failed, view.Revisions[0].Status);
        var body = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/api/v1/control/status"));
        Assert.Contains(good.Name, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessThatExitsOnStart_IsReportedWithItsExitCode()
    {
        await using var h = new AgentHarness();

        var refused = await Assert.ThrowsAsync<AgentException>(() => h.DeployControlAsync("svc", TestPorts.Free(), new() { ["FAULT_EXIT_ON_START"] = "7" }));

        Assert.Contains("exited with code 7", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListenerPortInUse_IsRefusedWithTheFix()
    {
        await using var h = new AgentHarness();
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var refused = await Assert.ThrowsAsync<AgentException>(() => h.DeployControlAsync("svc", port));

        Assert.Equal(409, refused.Status);
        Assert.Contains($"port {port}", refused.Message, StringComparison.Ordinal);
        Assert.Empty(h.State.Revisions("staging", "svc"));
    }

    [Theory]
    [InlineData(60, 30)]
    [InlineData(101, -1)]
    public async Task Split_NotSummingTo100_IsRefusedAndChangesNothing(int first, int second)
    {
        await using var h = new AgentHarness();
        var port = TestPorts.Free();
        var a = await h.DeployControlAsync("svc", port);
        await h.SplitAsync("svc", (a.Name, 100));

        var refused = await Assert.ThrowsAsync<AgentException>(() => h.SplitAsync("svc", (a.Name, first), ("other", second)));

        Assert.Equal(400, refused.Status);
        Assert.Equal([new TrafficSplitRecord(a.Name, 100)], h.State.Traffic("staging", "svc"));
    }

    [Fact]
    public async Task RestartedAgent_RestoresRevisionsAndTheExactSplit()
    {
        var port = TestPorts.Free();
        string a, b;
        await using (var first = new AgentHarness())
        {
            a = (await first.DeployControlAsync("svc", port)).Name;
            b = (await first.DeployControlAsync("svc", port)).Name;
            await first.SplitAsync("svc", (a, 60), (b, 40));

            // A second agent on the same state, as after a crash: it must bring back the same split.
            await first.Agent.DisposeAsync();
            await using var second = new LocalAgent(first.Paths, first.State, TimeProvider.System, new AgentOptions());
            await second.ReconcileAsync(CancellationToken.None);

            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < 500; i++)
            {
                var body = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/api/v1/control/status"));
                var revision = body.Contains(a, StringComparison.Ordinal) ? a : b;
                counts[revision] = counts.GetValueOrDefault(revision) + 1;
            }

            Assert.Equal(300, counts[a]);
            Assert.Equal(200, counts[b]);
        }
    }


    private static async Task WaitUntil(Func<bool> condition, TimeSpan limit)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < limit, "condition not met in time");
            await Task.Delay(100);
        }
    }
}
