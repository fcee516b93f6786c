using DeployMatrix.Core;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Rollout;

/// <summary>
/// The roll-forward rule through the rollout operation: a release whose rehearsal (by digest) found the stable release
/// unable to serve its migrated schema goes to the gate's target environment only with a reason, and then a stage that
/// does not pass holds the split — no traffic is written back to stable — where any other release rolls back.
/// </summary>
public sealed class RollForwardTests : IDisposable
{
    private const string Lane = "web";
    private const string Env = "production";
    private const string Service = "web";
    private const string CanaryImage = "local://web@sha256:web-t2";
    private const string Why = "the stable release failed its smoke checks on the migrated schema: /healthz answered 503";
    private readonly EngineHarness _h = new(setUp: p => p.RequestsPerSecond = 1000);
    private readonly string _stable;

    public RollForwardTests() => _stable = _h.Platform.Seed(Service, "local://web@sha256:web-t1", "t1");

    [Fact]
    public async Task WithoutAReason_ARolloutOfAReleaseNotRollbackSafe_IsRefusedBeforeAnythingChanges()
    {
        Rehearsed("t2", "sha256:web-t2", passed: false, rollbackSafe: false);

        var refused = await Assert.ThrowsAsync<OperationException>(() => Start(reason: null));

        Assert.Equal(ExitCodes.Failed, refused.ExitCode);
        Assert.Equal($"the rehearsal of web sha256:web-t2 (tag t2) found rollback not safe: {Why}; a failed stage would hold instead of rolling back — to go ahead, give --reason \"why\" (recorded)", refused.Message);
        // No canary deployed, no traffic moved, no rollout started, nothing recorded as decided.
        Assert.DoesNotContain(_h.Platform.Calls, c => c.StartsWith("Deploy ", StringComparison.Ordinal) || c.StartsWith("SetTraffic ", StringComparison.Ordinal));
        Assert.Equal([new TrafficAssignment(_stable, 100)], _h.Platform.Traffic(Service));
        Assert.Null(_h.State.LatestRollout(Lane, Env));
        Assert.DoesNotContain(_h.State.AuditRecords(), r => r.Action == "rollout-rollback-unsafe");
    }

    [Fact]
    public async Task WithAReason_AFailedStage_HoldsTheSplit_AndNeverWritesTrafficBackToStable()
    {
        Rehearsed("t2", "sha256:web-t2", passed: false, rollbackSafe: false);
        _h.Platform.Behaviours[CanaryImage] = new Behaviour(ErrorRate: 0.2);

        var outcome = (await _h.RunAsync(Start(reason: "roll forward: the fix is t3")))!;

        var canary = _h.Platform.Latest(Service);
        Assert.Equal(RolloutEnd.Held, outcome.End);
        Assert.Equal(ExitCodes.Failed, outcome.ExitCode);
        Assert.StartsWith("stage 5% failed: 5xx rate: canary ", outcome.Reason, StringComparison.Ordinal);
        Assert.EndsWith($"; holding the split at 5% instead of rolling back (the roll-forward rule): rollback is not safe ({Why}); roll forward with a fix, or decide with rollout resume|promote|abort", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal([new TrafficAssignment(_stable, 95), new TrafficAssignment(canary, 5)], _h.Platform.Traffic(Service));
        // The 5% split was the last traffic write: nothing went back to stable.
        Assert.Equal($"SetTraffic web {_stable}=95,{canary}=5", _h.Platform.Calls.Last(c => c.StartsWith("SetTraffic ", StringComparison.Ordinal)));
        var row = _h.State.Rollout(outcome.Id)!;
        Assert.Equal(("held", 5, outcome.Reason), (row.Status, row.Stage, row.Reason));
        Assert.Null(row.OwnerPid);
        Assert.Null(outcome.Receipt);
        var decided = Assert.Single(_h.State.AuditRecords(), r => r.Action == "rollout-rollback-unsafe");
        var inputs = System.Text.Json.JsonDocument.Parse(decided.Inputs).RootElement;
        Assert.Equal(("web", "production", "recorded", "roll forward: the fix is t3", "sha256:web-t2"),
            (decided.Lane, decided.Env, decided.Result, inputs.GetProperty("reason").GetString(), inputs.GetProperty("digest").GetString()));

        // Held for a person: an abort is a person's decision to send everyone back to stable.
        var aborted = await new RolloutControlOperation(_h.Workspace).ControlAsync(Lane, Env, RolloutControl.Abort, "t1 serves the old schema again", _h.Reporter, CancellationToken.None);
        Assert.Equal(RolloutState.Aborted, aborted.Rollout.State);
        Assert.Equal([new TrafficAssignment(_stable, 100)], _h.Platform.Traffic(Service));
    }

    [Fact]
    public async Task WithAReason_AStageThatStaysInconclusive_IsHeldToo()
    {
        using var h = new EngineHarness(setUp: p => p.RequestsPerSecond = 1);
        var stable = h.Platform.Seed(Service, "local://web@sha256:web-t1", "t1");
        Rehearsed(h, "t2", "sha256:web-t2", passed: false, rollbackSafe: false);

        var outcome = (await h.RunAsync(Start(h, reason: "roll forward")))!;

        Assert.Equal(RolloutEnd.Held, outcome.End);
        Assert.StartsWith("stage 5% stayed inconclusive: ", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("instead of rolling back (the roll-forward rule)", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal([new TrafficAssignment(stable, 95), new TrafficAssignment(h.Platform.Latest(Service), 5)], h.Platform.Traffic(Service));
        Assert.Equal("held", h.State.Rollout(outcome.Id)!.Status);
    }

    [Fact]
    public async Task ARelease_RehearsedRollbackSafe_RollsBackOnTheSameFailure()
    {
        // The verdict is the digest's: t3's unsafe rehearsal says nothing about t2.
        Rehearsed("t2", "sha256:web-t2", passed: true, rollbackSafe: true);
        Rehearsed("t3", "sha256:web-t3", passed: false, rollbackSafe: false);
        _h.Platform.Behaviours[CanaryImage] = new Behaviour(ErrorRate: 0.2);

        var outcome = (await _h.RunAsync(Start(reason: null)))!;

        Assert.Equal(RolloutEnd.Failed, outcome.End);
        Assert.EndsWith($"; rolled back to {_stable}", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal([new TrafficAssignment(_stable, 100)], _h.Platform.Traffic(Service));
        Assert.Equal("failed", _h.State.Rollout(outcome.Id)!.Status);
        Assert.DoesNotContain(_h.State.AuditRecords(), r => r.Action == "rollout-rollback-unsafe");
    }

    [Fact]
    public async Task OutsideTheGatesTargetEnvironment_TheRuleDoesNotApply_AndAFailedStageRollsBack()
    {
        var stable = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        Rehearsed("t2", "sha256:web-t2", passed: false, rollbackSafe: false);
        _h.Platform.Behaviours[CanaryImage] = new Behaviour(ErrorRate: 0.2);

        var outcome = (await _h.RunAsync(new RolloutOperation(_h.Workspace).RunAsync(new RolloutStartRequest(Lane, "staging") { Tag = "t2" },
            _h.Reporter, _ => { }, _ => { }, run => run(_h.Reporter), CancellationToken.None)))!;

        Assert.Equal(RolloutEnd.Failed, outcome.End);
        Assert.Equal([new TrafficAssignment(stable, 100)], _h.Platform.Traffic("web-staging"));
    }

    /// <summary>A rehearsal's verdict as <c>rehearse</c> records it (its one audit record); the rule reads only that.</summary>
    private void Rehearsed(string tag, string digest, bool passed, bool rollbackSafe) => Rehearsed(_h, tag, digest, passed, rollbackSafe);

    private static void Rehearsed(EngineHarness h, string tag, string digest, bool passed, bool rollbackSafe) =>
        h.Workspace.Recorder.Record(RehearsalVerdicts.Action, Lane, Env,
            RehearsalVerdicts.Inputs(tag, digest, "t1", "sha256:web-t1", rollbackSafe, rollbackSafe ? "the stable release passed its smoke checks on the migrated schema" : Why),
            passed ? "pass" : "fail");

    private Task<RolloutOutcome?> Start(string? reason) => Start(_h, reason);

    /// <summary>A production rollout of t2; its gate is overridden (t2 never passed one here), the rule is under test.</summary>
    private static Task<RolloutOutcome?> Start(EngineHarness h, string? reason) =>
        new RolloutOperation(h.Workspace).RunAsync(new RolloutStartRequest(Lane, Env) { Tag = "t2", GateOverride = "under test", RollbackUnsafeReason = reason },
            h.Reporter, _ => { }, _ => { }, run => run(h.Reporter), CancellationToken.None);

    public void Dispose() => _h.Dispose();
}
