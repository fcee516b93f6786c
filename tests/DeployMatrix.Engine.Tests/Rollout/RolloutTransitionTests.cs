using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.Engine.Tests.Support;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Tests.Rollout;

/// <summary>
/// Every transition of a rollout, driven through the engine's operation on the in-memory platform and a
/// fake clock: stage pass, fail, inconclusive (extended, then rolled back or held), pause, resume, abort,
/// promote, and interruption by the platform or a signal.
/// </summary>
public sealed class RolloutTransitionTests : IDisposable
{
    private const string Lane = "web";
    private const string Env = "staging";
    private const string StableImage = "local://web@sha256:web-t1";
    private const string CanaryImage = "local://web@sha256:web-t2";
    private readonly EngineHarness _h = new(setUp: p => p.RequestsPerSecond = 1000);
    private readonly string _stable;

    public RolloutTransitionTests() => _stable = _h.Platform.Seed("web-staging", StableImage, "t1");

    [Fact]
    public async Task AHealthyCanary_PassesEveryStage_AndTakesAllTraffic()
    {
        var outcome = await RollOutAsync();

        Assert.Equal(RolloutEnd.Succeeded, outcome.End);
        var canary = Canary();
        Assert.Equal([new TrafficAssignment(canary, 100)], _h.Platform.Traffic("web-staging"));
        Assert.Equal("succeeded", Row(outcome.Id).Status);
        // 0% and 100% pass by being set; 5, 25 and 50 pass their analysis.
        Assert.Equal([0, 5, 25, 50, 100], outcome.Stages.Select(s => s.Percent));
        Assert.All(outcome.Stages, s => Assert.Equal(Core.Analysis.Verdict.Pass, s.Verdict));
        Assert.Contains(_h.Platform.Calls, c => c == $"SetTraffic web-staging {_stable}=95,{canary}=5");
        Assert.Contains(_h.Platform.Calls, c => c == $"SetTraffic web-staging {_stable}=50,{canary}=50");
        Assert.True(File.Exists(outcome.Receipt));
        Assert.Equal(_stable, _h.Workspace.RecordedStable(_h.Workspace.Resolve(Lane, Env)));
        Assert.Contains(_h.State.AuditRecords(), r => r.Action == "rollout" && r.Result == "succeeded");
    }

    [Fact]
    public async Task AnErringCanary_FailsAtFivePercent_AndAllTrafficGoesBackToStable_AtOnce()
    {
        _h.Platform.Behaviours[CanaryImage] = new Behaviour(ErrorRate: 0.2);

        var outcome = await RollOutAsync();

        Assert.Equal(RolloutEnd.Failed, outcome.End);
        Assert.Equal([new TrafficAssignment(_stable, 100)], _h.Platform.Traffic("web-staging"));
        Assert.Contains("stage 5% failed", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains($"rolled back to {_stable}", outcome.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(_h.Platform.Calls, c => c.EndsWith("=25", StringComparison.Ordinal));
        Assert.Equal("failed", Row(outcome.Id).Status);
        Assert.Null(Row(outcome.Id).OwnerPid);
        // The rollout already rolled back: a rollback now would change nothing, and says so.
        var rollback = await new RollbackOperation(_h.Workspace).RunAsync(Lane, Env, null, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        Assert.Equal((1, $"{_stable}, the stable revision, already serves all traffic of web-staging: nothing to roll back; name another with --to (revisions that can: {Canary()})"), (rollback.ExitCode, rollback.Error));
    }

    [Fact]
    public async Task ASlowerCanary_FailsOnLatency()
    {
        _h.Platform.Behaviours[StableImage] = new Behaviour(LatencyMs: 10);
        _h.Platform.Behaviours[CanaryImage] = new Behaviour(LatencyMs: 50);

        var outcome = await RollOutAsync();

        Assert.Equal(RolloutEnd.Failed, outcome.End);
        Assert.Contains("p95 latency", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooLittleTraffic_IsExtended_ThenRolledBack_NeverPassed()
    {
        _h.Platform.RequestsPerSecond = 10;

        var outcome = await RollOutAsync();

        Assert.Equal(RolloutEnd.Failed, outcome.End);
        Assert.Contains("stage 5% stayed inconclusive", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(2, _h.Reporter.Lines.Count(l => l.StartsWith("[5%] inconclusive, extending the window", StringComparison.Ordinal)));
        Assert.Equal([new TrafficAssignment(_stable, 100)], _h.Platform.Traffic("web-staging"));
    }

    [Fact]
    public async Task AFailedStage_UnderTheHoldPolicy_StillRollsBack_HoldIsOnlyForInconclusive()
    {
        using var h = new EngineHarness(EngineHarness.Matrix.Replace("max-extensions: 2", "max-extensions: 0\n    on-inconclusive: hold", StringComparison.Ordinal), p => p.RequestsPerSecond = 1000);
        var stable = h.Platform.Seed("web-staging", StableImage, "t1");
        h.Platform.Behaviours[CanaryImage] = new Behaviour(ErrorRate: 0.2);

        var outcome = await RollOutAsync(h);

        Assert.Equal(RolloutEnd.Failed, outcome.End);
        Assert.Equal([new TrafficAssignment(stable, 100)], h.Platform.Traffic("web-staging"));
        Assert.Equal("failed", h.State.Rollout(outcome.Id)!.Status);
    }

    [Fact]
    public async Task TooLittleTraffic_UnderTheHoldPolicy_PausesForAPerson_KeepingTheSplit()
    {
        using var h = new EngineHarness(EngineHarness.Matrix.Replace("max-extensions: 2", "max-extensions: 0\n    on-inconclusive: hold", StringComparison.Ordinal), p => p.RequestsPerSecond = 10);
        var stable = h.Platform.Seed("web-staging", StableImage, "t1");

        var outcome = await RollOutAsync(h);

        Assert.Equal(RolloutEnd.Paused, outcome.End);
        Assert.Contains("holding the split for a person", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(2, h.Platform.Traffic("web-staging").Count);
        Assert.Equal("paused", h.State.Rollout(outcome.Id)!.Status);
        Assert.Null(outcome.Receipt);
        Assert.Contains(stable, h.Platform.Traffic("web-staging").Select(t => t.Revision));
    }

    [Fact]
    public async Task APauseRequest_DuringAWindow_HoldsTheSplit_AndResumeFinishes()
    {
        var run = Start();
        await _h.AdvanceUntilAsync(() => Latest() is { Stage: 25 }, run);
        _h.State.RequestRolloutControl(Latest()!.Id, "pause", "alice", "checking dashboards");

        var paused = await _h.RunAsync(run);

        Assert.Equal(RolloutEnd.Paused, paused!.End);
        Assert.Equal("paused by alice at 25%: checking dashboards", paused.Reason);
        Assert.Equal(25, _h.Platform.Traffic("web-staging").Single(t => t.Revision == Canary()).Percent);
        // The driver carried the pause out, but alice asked for it: her name is on the record, not the driver's.
        var pauseRecord = _h.State.AuditRecords().Single(r => r.Result.StartsWith("paused:", StringComparison.Ordinal));
        Assert.Equal(("alice", "paused: paused by alice at 25%: checking dashboards"), (pauseRecord.Actor, pauseRecord.Result));

        var resumed = await _h.RunAsync(new RolloutControlOperation(_h.Workspace).ResumeAsync(Lane, Env, _ => { }, Drive, CancellationToken.None));

        Assert.Equal(RolloutEnd.Succeeded, resumed.End);
        Assert.Equal(paused.Id, resumed.Id);
        // Resumed at its stage: 25% set again, and nothing before it.
        Assert.Equal([25, 50, 100], resumed.Stages.Select(s => s.Percent));
    }

    [Fact]
    public async Task AbortAndPromote_OfARollout_NobodyDrives_AreCarriedOutByTheCommand()
    {
        var run = Start();
        await _h.AdvanceUntilAsync(() => Latest() is { Stage: 5 }, run);
        _h.State.RequestRolloutControl(Latest()!.Id, "pause", "alice", null);
        await _h.RunAsync(run);
        var control = new RolloutControlOperation(_h.Workspace);

        var aborted = await control.ControlAsync(Lane, Env, RolloutControl.Abort, "wrong build", _h.Reporter, CancellationToken.None);

        Assert.True(aborted.Done);
        Assert.Equal(RolloutState.Aborted, aborted.Rollout.State);
        Assert.Equal($"aborted by tester at 5%: wrong build; all traffic back on {_stable}", aborted.Message);
        Assert.Equal([new TrafficAssignment(_stable, 100)], _h.Platform.Traffic("web-staging"));
        var again = await Assert.ThrowsAsync<OperationException>(() => control.ControlAsync(Lane, Env, RolloutControl.Promote, "late", _h.Reporter, CancellationToken.None));
        Assert.Contains("already ended (aborted)", again.Message, StringComparison.Ordinal);

        var second = Start(tag: null);
        await _h.AdvanceUntilAsync(() => Latest() is { Status: "running", Stage: 5 }, second);
        _h.State.RequestRolloutControl(Latest()!.Id, "promote", "bob", "hotfix INC-7");
        var promoted = await _h.RunAsync(second);

        Assert.Equal(RolloutEnd.Succeeded, promoted!.End);
        Assert.Equal("promoted by bob at 5%, skipping 25%, 50%: hotfix INC-7", promoted.Reason);
        // The rollout's own record names who ended it (bob, through the driver) and why; the abort this command carried out names its actor.
        var ends = _h.State.AuditRecords("rollout", Lane);
        Assert.Equal(("tester", $"aborted: aborted by tester at 5%: wrong build; all traffic back on {_stable}"), (ends[0].Actor, ends[0].Result));
        Assert.Equal(("bob", "succeeded (promoted by bob at 5%, skipping 25%, 50%: hotfix INC-7)"), (ends[1].Actor, ends[1].Result));
        // A promotion succeeds: its reason is kept, as a fact, never as an error.
        Assert.Contains("\"result\": \"succeeded\"", File.ReadAllText(promoted.Receipt!), StringComparison.Ordinal);
        Assert.Equal([new TrafficAssignment(Canary(), 100)], _h.Platform.Traffic("web-staging"));
    }

    [Fact]
    public async Task ThePlatformGoingAway_HoldsTheRollout_AndResumeContinuesItsStage()
    {
        var run = Start();
        await _h.AdvanceUntilAsync(() => Latest() is { Stage: 25 }, run);
        _h.Platform.Down = "the agent is not running";

        var error = await Assert.ThrowsAsync<OperationException>(() => _h.RunAsync(run));

        Assert.StartsWith("rollout held: the agent is not running; once the platform answers, continue with: deploymatrix rollout resume web --env staging", error.Message, StringComparison.Ordinal);
        var held = Latest()!;
        Assert.Equal(("held", 25), (held.Status, held.Stage));
        Assert.Equal("the agent is not running", held.Reason);
        Assert.Null(held.OwnerPid);

        _h.Platform.Down = null;
        var resumed = await _h.RunAsync(new RolloutControlOperation(_h.Workspace).ResumeAsync(Lane, Env, _ => { }, Drive, CancellationToken.None));

        Assert.Equal(RolloutEnd.Succeeded, resumed.End);
        Assert.Equal([25, 50, 100], resumed.Stages.Select(s => s.Percent));
    }

    [Fact]
    public async Task ASignal_HoldsTheRollout_Too()
    {
        using var stop = new CancellationTokenSource();
        var run = Start(ct: stop.Token);
        await _h.AdvanceUntilAsync(() => Latest() is { Stage: 5 }, run);

        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _h.RunAsync(run));
        Assert.Equal(("held", "stopped by a signal"), (Latest()!.Status, Latest()!.Reason));
        var record = _h.State.AuditRecords()[^1];
        Assert.Equal(("rollout-held", "held: stopped by a signal"), (record.Action, record.Result));
    }

    [Fact]
    public async Task ARolloutWhoseDriverDied_IsInterrupted_AndResumeTakesItOver()
    {
        var run = Start();
        await _h.AdvanceUntilAsync(() => Latest() is { Stage: 25 }, run);
        _h.State.RequestRolloutControl(Latest()!.Id, "pause", "alice", null);
        await _h.RunAsync(run);
        // As a process killed mid-window leaves it: running, owned by a pid that is gone.
        _h.State.ClaimRollout(Latest()!.Id, "running", _ => true);
        var elsewhere = _h.Open(new StoreOwner(int.MaxValue, _ => false));

        var status = await new RolloutControlOperation(elsewhere).StatusAsync(Lane, Env, CancellationToken.None);
        var resumed = await _h.RunAsync(new RolloutControlOperation(elsewhere).ResumeAsync(Lane, Env, _ => { }, Drive, CancellationToken.None));

        Assert.Equal("interrupted", status.Rollout.Shown);
        Assert.Equal($"deploymatrix rollout resume|promote|abort {Lane} --env {Env}", status.Next);
        Assert.Equal(RolloutEnd.Succeeded, resumed.End);
    }

    [Fact]
    public async Task ARequestWhoseDriverDiesBeforeActingOnIt_IsCarriedOutByTheCommandThatSentIt()
    {
        var run = Start();
        await _h.AdvanceUntilAsync(() => Latest() is { Stage: 25 }, run);
        _h.State.RequestRolloutControl(Latest()!.Id, "pause", "alice", null);
        await _h.RunAsync(run);
        // Running, owned by a process the command sees alive: it sends its request and waits for the driver to act.
        _h.State.ClaimRollout(Latest()!.Id, "running", _ => true);
        var driverAlive = true;
        using var other = _h.Open(new StoreOwner(int.MaxValue, _ => driverAlive));
        var abort = new RolloutControlOperation(other).ControlAsync(Lane, Env, RolloutControl.Abort, "wrong build", _h.Reporter, CancellationToken.None);
        for (var i = 0; i < 500 && !_h.Time.Waited; i++)
        {
            await Task.Delay(10);
        }

        Assert.True(_h.Time.Waited, "the command never waited for the driver to act");
        driverAlive = false;
        var aborted = await _h.RunAsync(abort);

        Assert.True(aborted.Done);
        Assert.Equal(RolloutState.Aborted, aborted.Rollout.State);
        Assert.Equal([new TrafficAssignment(_stable, 100)], _h.Platform.Traffic("web-staging"));
        // The request was withdrawn when the command carried it out itself.
        Assert.Null(_h.State.TakeRolloutControl(Latest()!.Id));
    }

    [Fact]
    public async Task ARolloutDrivenByALiveProcess_CannotBeResumedOrStartedAgain()
    {
        var run = Start();
        await _h.AdvanceUntilAsync(() => Latest() is { Stage: 5 }, run);
        // Another command on this machine sees this process as the live driver.
        var other = _h.Open(new StoreOwner(int.MaxValue, _ => true), lockWait: TimeSpan.Zero);
        var fromOther = new RolloutControlOperation(other) { AckTimeout = TimeSpan.Zero };

        var resume = await Assert.ThrowsAsync<OperationException>(() => fromOther.ResumeAsync(Lane, Env, _ => { }, Drive, CancellationToken.None));
        _h.State.RequestRolloutControl(Latest()!.Id, "abort", "alice", null);
        await _h.RunAsync(run);

        Assert.Contains("is locked by tester rollout web --env staging", resume.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANewRollout_IsRefused_WhileTheLastOneHasNotEnded()
    {
        var run = Start();
        await _h.AdvanceUntilAsync(() => Latest() is { Stage: 5 }, run);
        _h.State.RequestRolloutControl(Latest()!.Id, "pause", "alice", null);
        await _h.RunAsync(run);

        var refused = await Assert.ThrowsAsync<OperationException>(() => Start(tag: null));

        Assert.Equal($"rollout #{Latest()!.Id} of web in staging is paused at 5%; finish it first: deploymatrix rollout resume|promote|abort web --env staging", refused.Message);
    }

    [Fact]
    public async Task AWindowGivenByTheCommand_IsTheOneEveryStageWaits_AndIsRecorded()
    {
        var outcome = await _h.RunAsync(new RolloutOperation(_h.Workspace).RunAsync(new RolloutStartRequest(Lane, Env) { Tag = "t2", Window = TimeSpan.FromSeconds(20) },
            _h.Reporter, _ => { }, _ => { }, run => run(_h.Reporter), CancellationToken.None));

        Assert.Equal(RolloutEnd.Succeeded, outcome!.End);
        Assert.Equal(20_000, Row(outcome.Id).WindowMs);
        Assert.Equal(["[5%] canary at 5%, analysing for 20 s", "[25%] canary at 25%, analysing for 20 s", "[50%] canary at 50%, analysing for 20 s"],
            _h.Reporter.Lines.Where(l => l.Contains("analysing", StringComparison.Ordinal)));
        // The live figures come once a second: 20 of a 20 s window, each with the time left.
        var figures = _h.Reporter.Progress.Where(p => p.Percent == 5 && p.CanarySample is not null).ToList();
        Assert.Equal(20, figures.Count);
        Assert.Equal(TimeSpan.FromSeconds(19), figures[0].TimeLeft);
        Assert.Equal(TimeSpan.Zero, figures[^1].TimeLeft);
    }

    [Fact]
    public async Task AWindowThatIsNoWholeNumberOfPolls_EndsOnTime_NotAtTheNextPoll()
    {
        // 1.1 s at 1,000 requests a second: 1,100 requests, 55 to the canary — under min-requests, so the window is
        // extended once: 2,200 in all, 110 to the canary. Waiting a full poll past each end would count 2,400.
        var outcome = await _h.RunAsync(new RolloutOperation(_h.Workspace).RunAsync(new RolloutStartRequest(Lane, Env) { Tag = "t2", Window = TimeSpan.FromMilliseconds(1100) },
            _h.Reporter, _ => { }, _ => { }, run => run(_h.Reporter), CancellationToken.None), step: TimeSpan.FromMilliseconds(50));

        Assert.EndsWith("n canary=110, stable=2090", outcome!.Stages.Single(s => s.Percent == 5).Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APromotionAtTheLastAnalysedStage_SkipsNothing_AndItsReasonIsOnTheReceiptAndTheRecord()
    {
        var run = Start();
        await _h.AdvanceUntilAsync(() => Latest() is { Status: "running", Stage: 50 }, run);
        _h.State.RequestRolloutControl(Latest()!.Id, "promote", "bob", null);

        var promoted = await _h.RunAsync(run);

        Assert.Equal("promoted by bob at 50%", promoted!.Reason);
        Assert.Contains("\"rollout_reason\": \"promoted by bob at 50%\"", File.ReadAllText(promoted.Receipt!), StringComparison.Ordinal);
        Assert.DoesNotContain("rollback_to", File.ReadAllText(promoted.Receipt!), StringComparison.Ordinal);
        Assert.Contains(_h.State.JournalEntries(1000), j => j.Action == "rollout" && j.Status == "succeeded" && j.Detail == "succeeded (promoted by bob at 50%)");
    }

    [Fact]
    public async Task TheRunner_RefusesWhatItCannotClaim_EvenWhenTheCallerReadAnOlderState()
    {
        var run = Start();
        await _h.AdvanceUntilAsync(() => Latest() is { Stage: 5 }, run);
        _h.State.RequestRolloutControl(Latest()!.Id, "pause", "alice", null);
        await _h.RunAsync(run);
        var pausedRow = Latest()!;
        Assert.Equal("paused by alice at 5%", pausedRow.Reason);
        Assert.Contains("[5%] paused by alice at 5%", _h.Reporter.Lines);
        Assert.Contains(_h.State.JournalEntries(1000), j => j.Step == "stage 5%" && j.Detail == "paused: paused by alice at 5%");
        var paused = Engine.Rollout.Rollout.From(pausedRow, _h.State.Owner);
        var runner = new RolloutRunner(_h.Platform, _h.State, _h.Workspace.Recorder, _h.Time, _h.Reporter);
        var request = new RolloutRequest(_h.Workspace.Resolve(Lane, Env), paused.Stable, paused.Canary);
        // Another process aborted it after this one read it as paused: the refusal says what it is now.
        _h.State.UpdateRollout(pausedRow.Id, "aborted", pausedRow.StageIndex, pausedRow.Stage, "by bob", driven: false);

        var raced = await Assert.ThrowsAsync<OperationException>(() => runner.ResumeAsync(paused, request, CancellationToken.None));
        var ended = await Assert.ThrowsAsync<OperationException>(() => runner.ResumeAsync(Engine.Rollout.Rollout.From(Latest()!, _h.State.Owner), request, CancellationToken.None));

        Assert.Equal($"rollout #{pausedRow.Id} is aborted and cannot be taken over", raced.Message);
        Assert.Equal($"rollout #{pausedRow.Id} already ended (aborted); nothing to resume", ended.Message);
        Assert.Equal("aborted", Latest()!.Status);
    }

    [Fact]
    public async Task AResumedRollout_SaysWhereItResumed_InItsJournal()
    {
        var run = Start();
        await _h.AdvanceUntilAsync(() => Latest() is { Stage: 25 }, run);
        _h.State.RequestRolloutControl(Latest()!.Id, "pause", "alice", "look at logs");
        var paused = await _h.RunAsync(run);
        var resumed = await _h.RunAsync(new RolloutControlOperation(_h.Workspace).ResumeAsync(Lane, Env, _ => { }, r => r(_h.Reporter), CancellationToken.None));

        Assert.Equal("paused by alice at 25%: look at logs", paused!.Reason);
        Assert.Equal(RolloutEnd.Succeeded, resumed!.End);
        Assert.Contains(_h.State.JournalEntries(1000), j => j.Step == $"rollout #{paused.Id}" && j.Detail == "resumed at 25% (was paused)");
    }

    private Task<RolloutOutcome?> Start(string? tag = "t2", CancellationToken ct = default) => Start(_h, tag, ct);

    private static Task<RolloutOutcome?> Start(EngineHarness h, string? tag, CancellationToken ct) =>
        new RolloutOperation(h.Workspace).RunAsync(new RolloutStartRequest(Lane, Env) { Tag = tag }, h.Reporter, _ => { }, _ => { }, run => run(h.Reporter), ct);

    private async Task<RolloutOutcome> RollOutAsync() => await RollOutAsync(_h);

    private static async Task<RolloutOutcome> RollOutAsync(EngineHarness h) => (await h.RunAsync(Start(h, "t2", CancellationToken.None)))!;

    private Task<RolloutOutcome> Drive(Func<IRolloutReporter, Task<RolloutOutcome>> run) => run(_h.Reporter);

    private string Canary() => _h.Platform.Latest("web-staging");

    private RolloutRecord? Latest() => _h.State.LatestRollout(Lane, Env);

    private RolloutRecord Row(long id) => _h.State.Rollout(id)!;

    public void Dispose() => _h.Dispose();
}
