using DeployMatrix.Engine.Tests.Support;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Tests.Workspaces;

/// <summary>The lane lock: one holder per lane and environment, held across a whole (compound) operation.</summary>
public sealed class LaneLocksTests : IDisposable
{
    private readonly EngineHarness _h = new();

    [Fact]
    public async Task TakenAgainInTheSameWorkspace_ItIsHeld_AndOnlyTheOutermostReleaseFreesIt()
    {
        var locks = _h.Workspace.Locks;
        var other = _h.Open(new StoreOwner(int.MaxValue, _ => true), lockWait: TimeSpan.Zero);

        var outer = await locks.AcquireAsync("web", "staging", "rollout", CancellationToken.None);
        var inner = await locks.AcquireAsync("web", "staging", "deploy", CancellationToken.None);
        inner.Dispose();
        var stillHeld = await Assert.ThrowsAsync<OperationException>(() => other.Locks.AcquireAsync("web", "staging", "traffic", CancellationToken.None));
        outer.Dispose();
        outer.Dispose();
        using var taken = await other.Locks.AcquireAsync("web", "staging", "traffic", CancellationToken.None);

        Assert.Equal("web in staging is locked by tester rollout web --env staging (pid " + Environment.ProcessId + ") since 2026-11-30T10:00:00.0000000+00:00; wait for it to finish and try again", stillHeld.Message);
        Assert.True(other.Locks.Holds("web", "staging"));
        Assert.False(locks.Holds("web", "staging"));
    }

    [Fact]
    public async Task AnotherProcess_WaitsForTheLock_UntilItIsReleased()
    {
        var held = await _h.Workspace.Locks.AcquireAsync("web", "staging", "rollout", CancellationToken.None);
        var other = _h.Open(new StoreOwner(int.MaxValue, _ => true), lockWait: TimeSpan.FromSeconds(30));

        var waiting = other.Locks.AcquireAsync("web", "staging", "traffic", CancellationToken.None);
        for (var i = 0; i < 20; i++)
        {
            _h.Time.Advance(TimeSpan.FromMilliseconds(200));
            await Task.Delay(2);
        }

        Assert.False(waiting.IsCompleted);
        held.Dispose();
        using var got = await _h.RunAsync(waiting);
        Assert.True(other.Locks.Holds("web", "staging"));
    }

    [Fact]
    public async Task ALockWhoseHolderDied_IsTakenOver_AndOtherLanesAreFree()
    {
        using (await _h.Workspace.Locks.AcquireAsync("web", "staging", "deploy", CancellationToken.None))
        {
            var survivor = _h.Open(new StoreOwner(int.MaxValue, _ => false), lockWait: TimeSpan.Zero);
            using var takenOver = await survivor.Locks.AcquireAsync("web", "staging", "deploy", CancellationToken.None);
            using var otherLane = await survivor.Locks.AcquireAsync("api", "staging", "deploy", CancellationToken.None);
            using var otherEnv = await survivor.Locks.AcquireAsync("web", "production", "deploy", CancellationToken.None);
            Assert.True(survivor.Locks.Holds("web", "staging"));
        }
    }

    public void Dispose() => _h.Dispose();
}
