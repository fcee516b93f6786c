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
}
