using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Tests.Platform;

/// <summary>The stable revision, defined once: what the store recorded as a change began, else the one serving the most traffic.</summary>
public sealed class StableRevisionTests
{
    private static readonly RevisionInfo A = new("svc-1", "img", "ready");
    private static readonly RevisionInfo B = new("svc-2", "img", "ready");

    [Fact]
    public void TheRecordedRevision_IsStable_WhileItStillExists()
    {
        Assert.Equal("svc-1", StableRevision.Of("svc-1", [new("svc-2", 100)], [B, A]));
        Assert.Equal("svc-2", StableRevision.Of("svc-9", [new("svc-2", 100)], [B, A]));
        Assert.Equal("svc-1", StableRevision.Of("svc-1", [new("svc-2", 100)], []));
    }

    [Fact]
    public void WithNothingRecorded_TheRevisionServingMostTraffic_IsStable_TheFirstAmongEquals()
    {
        Assert.Equal("svc-1", StableRevision.Of(null, [new("svc-2", 5), new("svc-1", 95)], [B, A]));
        Assert.Equal("svc-2", StableRevision.Of(null, [new("svc-2", 50), new("svc-1", 50)], [B, A]));
        Assert.Null(StableRevision.Of(null, [], [B, A]));
        Assert.Null(StableRevision.Serving([new("svc-1", 0)]));
    }

    [Fact]
    public void AChange_RecordsTheRevisionHoldingAllTraffic_OrNothingWhileTrafficIsSplit()
    {
        Assert.Equal("svc-1", StableRevision.ToRecord([new("svc-1", 100)]));
        Assert.Null(StableRevision.ToRecord([new("svc-1", 95), new("svc-2", 5)]));
        Assert.Null(StableRevision.ToRecord([]));
    }

    [Fact]
    public void ARollback_GoesToTheStableRevision_WhenItCanServe_AndRefusesToChangeNothing()
    {
        RevisionInfo stopped = new("svc-3", "img", "stopped");
        RevisionInfo failed = new("svc-4", "img", "failed", "exit 3 before ready");

        Assert.Equal(("svc-1", null), StableRevision.RollbackTarget("svc", "svc-1", [new("svc-2", 100)], [B, A]));
        Assert.Equal(("svc-1", null), StableRevision.RollbackTarget("svc", "svc-1", [new("svc-1", 90), new("svc-2", 10)], [B, A]));
        Assert.Equal(("svc-3", null), StableRevision.RollbackTarget("svc", "svc-3", [new("svc-2", 100)], [stopped, B, A]));
        Assert.Equal(
            (null, "svc-1, the stable revision, already serves all traffic of svc: nothing to roll back; name another with --to (revisions that can: svc-2)"),
            StableRevision.RollbackTarget("svc", "svc-1", [new("svc-1", 100)], [B, A]));
        Assert.Equal(
            (null, "svc-2, the stable revision, already serves all traffic of svc: nothing to roll back; name another with --to (revisions that can: svc-1)"),
            StableRevision.RollbackTarget("svc", null, [new("svc-2", 100)], [B, A, failed]));
        Assert.Equal(
            (null, "the stable revision svc-4 of svc cannot serve (failed: exit 3 before ready); name another with --to (no other revision can serve)"),
            StableRevision.RollbackTarget("svc", "svc-4", [new("svc-2", 100)], [B, failed]));
        Assert.Equal(
            (null, "svc has no stable revision: none served all its traffic before the latest change; name one with --to (revisions that can: svc-2, svc-1)"),
            StableRevision.RollbackTarget("svc", null, [], [B, A]));
        Assert.Equal(
            (null, "svc-1, the stable revision, already serves all traffic of svc: nothing to roll back; name another with --to (its revisions were not listed; 'status' shows them)"),
            StableRevision.RollbackTarget("svc", "svc-1", [new("svc-1", 100)], []));
    }
}
