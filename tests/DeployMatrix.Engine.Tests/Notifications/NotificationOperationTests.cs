using System.Diagnostics;
using System.Text.Json;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Notifications;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.Engine.Tests.Support;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Tests.Notifications;

/// <summary>
/// What the operations tell a webhook on loopback, and when: after the traffic moved, never holding up a rollback —
/// measured with a receiver that never answers against one that answers at once.
/// </summary>
public sealed class NotificationOperationTests : IAsyncLifetime
{
    private static readonly NotifyChannel Hook = new() { Name = "hook", Kind = NotifyKind.Webhook, UrlEnv = "HOOK_URL", SecretEnv = "HOOK_KEY" };
    private readonly EngineHarness _h = new(setUp: p => p.RequestsPerSecond = 1000);
    private NotifyReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await NotifyReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        _h.Dispose();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task AHangingReceiver_NeverDelaysARollback()
    {
        var first = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        await using var fast = await NotifyReceiver.StartAsync();
        var answering = Dispatcher(fast, new NotifyOptions());
        var baseline = await TimedRollbackAsync(_h.Open(notify: answering), "t2");
        _receiver.Hang = true;
        var hanging = Dispatcher(_receiver, new NotifyOptions { AttemptTimeout = TimeSpan.FromSeconds(30), DeliveryDeadline = TimeSpan.FromSeconds(60), ExitDeadline = TimeSpan.FromMilliseconds(500) });

        var measured = await TimedRollbackAsync(_h.Open(notify: hanging), "t3");

        Assert.Equal([new TrafficAssignment(first, 100)], _h.Platform.Traffic("web-staging"));
        // Generous: a rollback that waited for the receiver would take its 30-second attempt timeout.
        Assert.True(measured < baseline + TimeSpan.FromSeconds(2), $"rollback took {measured} with a hanging receiver, {baseline} with one that answers");
        await WaitForAsync(() => _receiver.Requests.Any(r => r.Headers["X-DeployMatrix-Event"] == "rolled-back"));
        var exit = Stopwatch.StartNew();
        hanging.Dispose();
        Assert.True(exit.Elapsed < TimeSpan.FromSeconds(5), $"the command's end waited {exit.Elapsed}");
        answering.Dispose();
        Assert.Contains(_h.State.Deliveries(), d => d.Event == "rolled-back" && d.Status == "delivered");
        Assert.Contains(_h.State.Deliveries(), d => d.Event == "rolled-back" && d.Status == "failed" && d.Detail!.StartsWith("stopped when the command ended", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARolloutThatFails_TellsItsStart_ItsPassedStage_AndItsRollback_AfterTrafficIsBackOnStable()
    {
        var stable = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        _h.Platform.Behaviours["local://web@sha256:web-t2"] = new Behaviour(ErrorRate: 0.2);
        var dispatcher = Dispatcher(_receiver, new NotifyOptions());
        var ws = _h.Open(notify: dispatcher);

        var outcome = await _h.RunAsync(new RolloutOperation(ws).RunAsync(new RolloutStartRequest("web", "staging") { Tag = "t2" }, _h.Reporter, _ => { }, _ => { }, run => run(_h.Reporter), CancellationToken.None));
        await dispatcher.DrainAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(RolloutEnd.Failed, outcome!.End);
        var events = Events();
        Assert.Equal(["rollout-started", "stage-passed", "rollout-failed"], events.Select(e => e.GetProperty("event").GetString()));
        var failed = events[^1];
        Assert.Equal(("web", "staging"), (failed.GetProperty("lane").GetString(), failed.GetProperty("environment").GetString()));
        Assert.Equal((stable, "failed", "5"), (failed.GetProperty("details").GetProperty("stable_revision").GetString(),
            failed.GetProperty("details").GetProperty("rollout_status").GetString(), failed.GetProperty("details").GetProperty("stage").GetString()));
        Assert.StartsWith($"rollout #{outcome.Id} of web in staging failed: stage 5% failed", failed.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("0", events[1].GetProperty("details").GetProperty("stage").GetString());
        dispatcher.Dispose();
    }

    [Fact]
    public async Task ARolloutThatStopsForAPerson_TellsItIsHeld_WithTheSplitItKeeps()
    {
        // Too little traffic under on-inconclusive: hold: the stage stays inconclusive and the rollout waits for a person.
        using var h = new EngineHarness(EngineHarness.Matrix.Replace("max-extensions: 2", "max-extensions: 0\n    on-inconclusive: hold", StringComparison.Ordinal), p => p.RequestsPerSecond = 10);
        var stable = h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        var env = new Dictionary<string, string> { ["HOOK_URL"] = _receiver.Url("hooks/deploy"), ["HOOK_KEY"] = "k" };
        using var dispatcher = new NotificationDispatcher([Hook], h.State, name => env.GetValueOrDefault(name), TimeProvider.System, new NotifyOptions { Backoff = TimeSpan.FromMilliseconds(50) });

        var outcome = await h.RunAsync(new RolloutOperation(h.Open(notify: dispatcher)).RunAsync(new RolloutStartRequest("web", "staging") { Tag = "t2" }, h.Reporter, _ => { }, _ => { }, run => run(h.Reporter), CancellationToken.None));
        await dispatcher.DrainAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(RolloutEnd.Paused, outcome!.End);
        var events = Events();
        Assert.Equal(["rollout-started", "stage-passed", "rollout-held"], events.Select(e => e.GetProperty("event").GetString()));
        var held = events[^1];
        Assert.Equal(("paused", "5", stable), (held.GetProperty("details").GetProperty("rollout_status").GetString(),
            held.GetProperty("details").GetProperty("stage").GetString(), held.GetProperty("details").GetProperty("stable_revision").GetString()));
        Assert.Equal($"rollout #{outcome.Id} of web in staging {outcome.Reason}", held.GetProperty("text").GetString());
        Assert.Contains("holding the split for a person", outcome.Reason, StringComparison.Ordinal);
        // Told after the split was left as it stands: both revisions still serve.
        Assert.Equal(2, h.Platform.Traffic("web-staging").Count);
    }

    [Fact]
    public async Task AFailedDeploy_AndMaintenanceOnAndOff_AreTold()
    {
        _h.Platform.Seed("api-staging", "local://api@sha256:api-t1", "t1");
        _h.Platform.FailingJobs["api-migrate-staging"] = 3;
        var dispatcher = Dispatcher(_receiver, new NotifyOptions());
        var ws = _h.Open(notify: dispatcher);

        var deploy = await new DeployOperation(ws).RunAsync("api", "staging", "t2", noTraffic: false, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        await new MaintenanceOperation(ws).EnableAsync("web", "staging", null, 60, CancellationToken.None);
        await new MaintenanceOperation(ws).DisableAsync("web", "staging", CancellationToken.None);
        await dispatcher.DrainAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(3, deploy.ExitCode);
        var events = Events();
        Assert.Equal(["deploy-failed", "maintenance-on", "maintenance-off"], events.Select(e => e.GetProperty("event").GetString()));
        Assert.StartsWith("deploy of api t2 in staging failed at ", events[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("3", events[0].GetProperty("details").GetProperty("exit_code").GetString());
        dispatcher.Dispose();
    }

    [Fact]
    public async Task AGateVerdict_IsToldAboutTheRelease_NotOneLane()
    {
        var serving = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        var dispatcher = Dispatcher(_receiver, new NotifyOptions());

        var report = await new GateOperation(_h.Open(notify: dispatcher)).RunAsync(null, null, "t1", _ => { }, (_, _) => { }, _ => { }, CancellationToken.None);
        await dispatcher.DrainAsync(TimeSpan.FromSeconds(20));

        // No-go: the test platform serves no /healthz for the gate's http check; the verdict is told either way.
        Assert.False(report.Go);
        var told = Assert.Single(Events());
        Assert.Equal(("gate-no-go", JsonValueKind.Null, "production"), (told.GetProperty("event").GetString(), told.GetProperty("lane").ValueKind, told.GetProperty("environment").GetString()));
        Assert.Equal(("staging", "production", "t1", $"web={serving}@sha256:web-t1"), (told.GetProperty("details").GetProperty("from").GetString(),
            told.GetProperty("details").GetProperty("to").GetString(), told.GetProperty("details").GetProperty("tag").GetString(), told.GetProperty("details").GetProperty("releases").GetString()));
        dispatcher.Dispose();
    }

    private async Task<TimeSpan> TimedRollbackAsync(Workspace ws, string tag)
    {
        Assert.True((await new DeployOperation(ws).RunAsync("web", "staging", tag, noTraffic: false, new ChangeOptions(), _h.Reporter, CancellationToken.None)).Ok);
        var clock = Stopwatch.StartNew();
        var back = await new RollbackOperation(ws).RunAsync("web", "staging", null, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        clock.Stop();
        Assert.True(back.Ok, back.Error);
        return clock.Elapsed;
    }

    private List<JsonElement> Events() => [.. _receiver.Requests.Select(r => EventSchema.AssertValid(r.Body))];

    private NotificationDispatcher Dispatcher(NotifyReceiver receiver, NotifyOptions options)
    {
        var env = new Dictionary<string, string> { ["HOOK_URL"] = receiver.Url("hooks/deploy"), ["HOOK_KEY"] = "k" };
        return new NotificationDispatcher([Hook], _h.State, name => env.GetValueOrDefault(name), TimeProvider.System, options with { Backoff = TimeSpan.FromMilliseconds(50) });
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "the receiver never got the request");
    }
}
