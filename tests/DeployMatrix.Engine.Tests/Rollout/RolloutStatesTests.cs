using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Tests.Rollout;

/// <summary>The rollout state machine, transition by transition, and what cannot happen.</summary>
public sealed class RolloutStatesTests
{
    public static TheoryData<RolloutState, RolloutEvent, InconclusiveAction, RolloutState> Allowed => new()
    {
        { RolloutState.Running, RolloutEvent.StagePassed, InconclusiveAction.Rollback, RolloutState.Running },
        { RolloutState.Running, RolloutEvent.Completed, InconclusiveAction.Rollback, RolloutState.Succeeded },
        { RolloutState.Running, RolloutEvent.StageFailed, InconclusiveAction.Hold, RolloutState.Failed },
        { RolloutState.Running, RolloutEvent.StageInconclusive, InconclusiveAction.Rollback, RolloutState.Failed },
        { RolloutState.Running, RolloutEvent.StageInconclusive, InconclusiveAction.Hold, RolloutState.Paused },
        { RolloutState.Running, RolloutEvent.Interrupted, InconclusiveAction.Rollback, RolloutState.Held },
        { RolloutState.Running, RolloutEvent.Pause, InconclusiveAction.Rollback, RolloutState.Paused },
        { RolloutState.Running, RolloutEvent.Abort, InconclusiveAction.Rollback, RolloutState.Aborted },
        { RolloutState.Running, RolloutEvent.Promote, InconclusiveAction.Rollback, RolloutState.Succeeded },
        { RolloutState.Running, RolloutEvent.Resume, InconclusiveAction.Rollback, RolloutState.Running },
        { RolloutState.Paused, RolloutEvent.Resume, InconclusiveAction.Rollback, RolloutState.Running },
        { RolloutState.Paused, RolloutEvent.Pause, InconclusiveAction.Rollback, RolloutState.Paused },
        { RolloutState.Paused, RolloutEvent.Abort, InconclusiveAction.Rollback, RolloutState.Aborted },
        { RolloutState.Paused, RolloutEvent.Promote, InconclusiveAction.Rollback, RolloutState.Succeeded },
        { RolloutState.Held, RolloutEvent.Resume, InconclusiveAction.Rollback, RolloutState.Running },
        { RolloutState.Held, RolloutEvent.Pause, InconclusiveAction.Rollback, RolloutState.Paused },
        { RolloutState.Held, RolloutEvent.Abort, InconclusiveAction.Rollback, RolloutState.Aborted },
        { RolloutState.Held, RolloutEvent.Promote, InconclusiveAction.Rollback, RolloutState.Succeeded },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void EachTransition_LeadsWhereTheMachineSays(RolloutState from, RolloutEvent happened, InconclusiveAction policy, RolloutState to) =>
        Assert.Equal(to, RolloutStates.Next(from, happened, policy));

    [Theory]
    [InlineData(RolloutEvent.StageFailed, InconclusiveAction.Rollback, RolloutState.Held)]
    [InlineData(RolloutEvent.StageFailed, InconclusiveAction.Hold, RolloutState.Held)]
    [InlineData(RolloutEvent.StageInconclusive, InconclusiveAction.Rollback, RolloutState.Held)]
    [InlineData(RolloutEvent.StageInconclusive, InconclusiveAction.Hold, RolloutState.Paused)]
    [InlineData(RolloutEvent.StagePassed, InconclusiveAction.Rollback, RolloutState.Running)]
    [InlineData(RolloutEvent.Completed, InconclusiveAction.Rollback, RolloutState.Succeeded)]
    public void WhenRollbackIsNotSafe_AStageThatWouldRollBack_IsHeldInstead(RolloutEvent happened, InconclusiveAction policy, RolloutState to) =>
        Assert.Equal(to, RolloutStates.Next(RolloutState.Running, happened, policy, rollbackSafe: false));

    [Fact]
    public void NothingElse_CanHappen_AndAFinishedRolloutStaysFinished()
    {
        var allowed = Allowed.Select(row => ((RolloutState)row[0], (RolloutEvent)row[1])).ToHashSet();
        foreach (var from in Enum.GetValues<RolloutState>())
        {
            foreach (var happened in Enum.GetValues<RolloutEvent>().Where(e => !allowed.Contains((from, e))))
            {
                var refused = Assert.Throws<InvalidRolloutTransition>(() => RolloutStates.Next(from, happened));
                Assert.Equal((from, happened), (refused.From, refused.Event));
                Assert.Contains($"a {RolloutStates.Name(from)} rollout cannot {happened.ToString().ToLowerInvariant()}", refused.Message, StringComparison.Ordinal);
            }
        }

        Assert.All([RolloutState.Succeeded, RolloutState.Failed, RolloutState.Aborted], s => Assert.True(RolloutStates.IsFinished(s)));
        Assert.All([RolloutState.Running, RolloutState.Paused, RolloutState.Held], s => Assert.False(RolloutStates.IsFinished(s)));
    }

    [Fact]
    public void StatesAndControls_AreStoredByTheirNames()
    {
        Assert.Equal(["running", "paused", "held", "succeeded", "failed", "aborted"], Enum.GetValues<RolloutState>().Select(RolloutStates.Name));
        Assert.All(Enum.GetValues<RolloutState>(), s => Assert.Equal(s, RolloutStates.Parse(RolloutStates.Name(s))));
        Assert.Throws<ArgumentException>(() => RolloutStates.Parse("interrupted"));
        Assert.Equal(["pause", "abort", "promote"], Enum.GetValues<RolloutControl>().Select(RolloutStates.Name));
        Assert.All(Enum.GetValues<RolloutControl>(), c => Assert.Equal(c, RolloutStates.ParseControl(RolloutStates.Name(c))));
        Assert.Equal([RolloutEvent.Pause, RolloutEvent.Abort, RolloutEvent.Promote], Enum.GetValues<RolloutControl>().Select(RolloutStates.EventOf));
    }

    [Theory]
    [InlineData("running", 10, true, "running", false, false)]
    [InlineData("running", 10, false, "interrupted", true, false)]
    [InlineData("running", 99, true, "running", false, true)]
    [InlineData("paused", null, false, "paused", false, false)]
    [InlineData("succeeded", null, false, "succeeded", false, false)]
    public void ARollout_IsShownAsItStands_ForTheProcessReadingIt(string status, int? ownerPid, bool ownerAlive, string shown, bool interrupted, bool drivenElsewhere)
    {
        var row = new RolloutRecord(1, "web", "staging", "s", "c", status, 5, null, "t0", "t1", [0, 5, 100], 1, 10_000, ownerPid);

        var rollout = Engine.Rollout.Rollout.From(row, new StoreOwner(10, _ => ownerAlive));

        Assert.Equal(shown, rollout.Shown);
        Assert.Equal(interrupted, rollout.Interrupted);
        Assert.Equal(drivenElsewhere, rollout.DrivenElsewhere);
        Assert.Equal(TimeSpan.FromSeconds(10), rollout.Window);
        Assert.Equal(RolloutStates.IsFinished(rollout.State), rollout.Finished);
    }
}
