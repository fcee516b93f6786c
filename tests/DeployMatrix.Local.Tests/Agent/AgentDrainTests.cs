using System.Net;
using DeployMatrix.Local.Tests.Support;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Local.Tests.Agent;

/// <summary>
/// Drain on a traffic switch, on a clock the test moves: a request in flight when traffic leaves its
/// revision may run as long as the revision's request timeout allows (as on Cloud Run) — not a fixed 30 s —
/// and one that outlives it is cut with a 504 and the revision is reported as cut, not drained.
/// </summary>
public sealed class AgentDrainTests
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task ARequestLongerThan30s_InFlightDuringASwitch_CompletesWith200_ThenTheRevisionDrains()
    {
        await using var clock = new PumpedClock();
        await using var h = new AgentHarness(time: clock.Time);
        var (slow, request) = await SwitchAwayDuringARequestAsync(h, answerAfterMs: 3000, requestTimeout: null);

        clock.Jump(TimeSpan.FromSeconds(40));
        using var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(slow.Name, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await WaitUntil(() => h.State.FindRevision(slow.Name)!.Status == RevisionStatus.Stopped);
        Assert.Equal("drained after losing traffic", h.State.FindRevision(slow.Name)!.Reason);
    }

    [Fact]
    public async Task ARequestPastTheLanesTimeout_Gets504_AndTheRevisionIsReportedCut()
    {
        await using var clock = new PumpedClock();
        await using var h = new AgentHarness(time: clock.Time);
        var (slow, request) = await SwitchAwayDuringARequestAsync(h, answerAfterMs: 5000, requestTimeout: TimeSpan.FromSeconds(60));

        clock.Jump(TimeSpan.FromSeconds(61));
        using var response = await request;

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        await WaitUntil(() => h.State.FindRevision(slow.Name)!.Status == RevisionStatus.Stopped);
        Assert.Equal("cut after losing traffic: 1 request(s) ran past its 60 s request timeout", h.State.FindRevision(slow.Name)!.Reason);
    }

    /// <summary>
    /// A revision that answers after <paramref name="answerAfterMs"/> (real time) takes all traffic; a request
    /// reaches it; then traffic moves to a second revision, so the first drains while the request is in flight.
    /// </summary>
    private static async Task<(Local.Agent.RevisionView Slow, Task<HttpResponseMessage> Request)> SwitchAwayDuringARequestAsync(AgentHarness h, int answerAfterMs, TimeSpan? requestTimeout)
    {
        var port = TestPorts.Free();
        var slow = await h.DeployControlAsync("svc", port, new() { ["FAULT_DELAY_MS"] = answerAfterMs.ToString(System.Globalization.CultureInfo.InvariantCulture) }, requestTimeout: requestTimeout);
        await h.SplitAsync("svc", (slow.Name, 100));
        var next = await h.DeployControlAsync("svc", port);
        var request = Http.GetAsync(new Uri($"http://127.0.0.1:{port}/api/v1/control/status"));
        await WaitUntil(() => h.Agent.InFlight(slow.Name) == 1);
        await h.SplitAsync("svc", (next.Name, 100));
        return (slow, request);
    }

    /// <summary>Waits (bounded, 20 s) for something the agent does in the background.</summary>
    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "condition not met within 20 s");
    }
}
