using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Tests.Analysis;

/// <summary>Latency gates at any percentile: percentiles read from buckets, the quantile test, regressions and ceilings.</summary>
public sealed class LatencyGateTests
{
    private static readonly double[] Bounds = [1, 2, 5, 10, 20, 50, 100, 200];
    private static readonly RolloutGates Gates = new() { MinRequests = 100 };

    [Fact]
    public void Percentiles_AreTheBucketWhereTheirRankFalls()
    {
        // 100 requests: 50 at ≤1 ms, 40 at ≤2, 9 at ≤5, 1 at ≤50.
        var sample = new RevisionSample("r", 100, 0, [50, 40, 9, 0, 0, 1, 0, 0, 0], Bounds);

        Assert.Equal((1.0, 2.0, 5.0, 5.0), (sample.PercentileMs(50), sample.PercentileMs(90), sample.PercentileMs(95), sample.PercentileMs(99)));
        Assert.Equal(50, sample.PercentileMs(99.5));
        Assert.Equal(2, sample.PercentileMs(50.5));
        Assert.Null(new RevisionSample("r", 0, 0, [0, 0], Bounds).BucketOf(50));
    }

    [Fact]
    public void TheQuantileTest_SplitsWhereThePooledShareOverIsNearestTheTail()
    {
        // Pooled: 1900 at ≤1 ms, 60 at ≤2, 40 at ≤5. p99's bucket is ≤5 ms, with nothing above it: the boundary
        // under it (2 ms) has 2% over. p95's is the first bucket, ≤1 ms: over it is 5%, exactly the tail.
        long[] canary = [80, 0, 20, 0, 0, 0, 0, 0, 0], stable = [1820, 60, 20, 0, 0, 0, 0, 0, 0];

        var p99 = QuantileTest.AtPooledPercentile(canary, stable, Bounds, 99);
        var p95 = QuantileTest.AtPooledPercentile(canary, stable, Bounds, 95);

        Assert.Equal((2.0, 20L, 100L, 20L, 1900L), (p99.OverMs, p99.CanaryOver, p99.CanaryTotal, p99.StableOver, p99.StableTotal));
        Assert.Equal((1.0, 20L, 80L), (p95.OverMs, p95.CanaryOver, p95.StableOver));
        Assert.Equal(FisherExact.CanaryWorse(20, 100, 20, 1900), p99.P, 15);
    }

    [Fact]
    public void TheQuantileTestAtACeiling_CountsEveryBucketThatReachesAboveIt()
    {
        long[] canary = [90, 0, 0, 5, 5, 0, 0, 0, 0], stable = [900, 0, 0, 90, 10, 0, 0, 0, 0];

        // 10 ms is a bound: the ≤10 bucket is under it. 15 ms falls inside ≤20: that bucket reaches above it.
        var atBound = QuantileTest.Above(canary, stable, Bounds, 10);
        var inside = QuantileTest.Above(canary, stable, Bounds, 15);
        var belowAll = QuantileTest.Above(canary, stable, Bounds, 0.5);

        Assert.Equal((10.0, 5L, 10L), (atBound.OverMs, atBound.CanaryOver, atBound.StableOver));
        Assert.Equal((15.0, 5L, 10L), (inside.OverMs, inside.CanaryOver, inside.StableOver));
        Assert.Equal((100L, 1000L), (belowAll.CanaryOver, belowAll.StableOver));
    }

    [Fact]
    public void NothingToRank_IsNoEvidence()
    {
        Assert.Equal(1, QuantileTest.AtPooledPercentile([0, 0], [0, 0], Bounds, 99).P);
        Assert.Equal(1, QuantileTest.Above([5, 0], [0, 0], Bounds, 1).P);
        // Every request in one bucket: no boundary has requests on both sides.
        Assert.Equal((0L, 0L, 1.0), Tail(QuantileTest.AtPooledPercentile([0, 100], [0, 900], Bounds, 99)));
    }

    [Fact]
    public void AP99Gate_FailsACanaryWithASlowTail_WhoseP95IsUnchanged()
    {
        // 2% of the canary's requests take ≤200 ms instead of ≤2: p99 2 → 200 ms, p95 the same 2 ms.
        var canary = Sample("canary", [400, 580, 0, 0, 0, 0, 0, 20, 0]);
        var stable = Sample("stable", [7600, 11400, 0, 0, 0, 0, 0, 0, 0]);
        var gates = Gates with { Latency = [new LatencyGate(99, LatencyLimit.Regression, 50)] };

        var result = CanaryAnalysis.Analyze(canary, stable, gates);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Equal(Verdict.Pass, Find(result, "p95 latency").Verdict);
        var p99 = Find(result, "p99 latency");
        Assert.Equal(Verdict.Fail, p99.Verdict);
        Assert.StartsWith("p99 canary 200 ms vs stable 2 ms (+9900%, threshold ≤ 50% and ≥ 5 ms); Mann-Whitney U one-sided p=", p99.Explanation, StringComparison.Ordinal);
        Assert.Contains("quantile test over 2 ms: canary 20/1000 vs stable 0/19000, Fisher one-sided p=0;", p99.Explanation, StringComparison.Ordinal);
        Assert.Equal("p95 latency, p99 latency", string.Join(", ", result.Findings.Where(f => f.Metric.EndsWith("latency", StringComparison.Ordinal)).Select(f => f.Metric)));
    }

    [Fact]
    public void ACeiling_FailsACanaryOverIt_ThatIsSlowerThanStableThere()
    {
        var canary = Sample("canary", [0, 900, 0, 0, 0, 0, 100, 0, 0]);
        var stable = Sample("stable", [0, 18900, 0, 0, 0, 0, 100, 0, 0]);
        var gates = Gates with { Latency = [new LatencyGate(95, LatencyLimit.Ceiling, 60)] };

        var result = CanaryAnalysis.Analyze(canary, stable, gates);

        var ceiling = Find(result, "p95 ceiling");
        Assert.Equal(Verdict.Fail, ceiling.Verdict);
        Assert.StartsWith("p95 canary 100 ms vs ceiling ≤ 60 ms (stable 2 ms); quantile test over 60 ms: canary 100/1000 vs stable 100/19000, Fisher one-sided p=0;", ceiling.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void ACeilingStableBreaksAsMuch_IsInconclusive_AndOneKept_Passes()
    {
        var slow = new[] { 0L, 0, 0, 0, 0, 0, 1000, 0, 0 };
        var gates = Gates with { Latency = [new LatencyGate(99, LatencyLimit.Ceiling, 60)] };

        var bothOver = CanaryAnalysis.Analyze(Sample("canary", slow), Sample("stable", [.. slow.Select(c => c * 19)]), gates);
        var kept = CanaryAnalysis.Analyze(Sample("canary", [1000, 0, 0, 0, 0, 0, 0, 0, 0]), Sample("stable", [.. slow.Select(c => c * 19)]), gates);

        Assert.Equal(Verdict.Inconclusive, Find(bothOver, "p99 ceiling").Verdict);
        Assert.Equal(Verdict.Pass, Find(kept, "p99 ceiling").Verdict);
        Assert.StartsWith("p99 canary 1 ms vs ceiling ≤ 60 ms (stable 100 ms)", Find(kept, "p99 ceiling").Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryGate_IsAFinding_ByPercentile_ARegressionBeforeACeiling()
    {
        var gates = Gates with
        {
            Latency = [new LatencyGate(99, LatencyLimit.Ceiling, 300), new LatencyGate(50, LatencyLimit.Regression, 10), new LatencyGate(95, LatencyLimit.Ceiling, 100)],
        };
        var sample = Sample("r", [1000, 0, 0, 0, 0, 0, 0, 0, 0]);

        var result = CanaryAnalysis.Analyze(sample, sample with { Revision = "s" }, gates);

        Assert.Equal(["p50 latency", "p95 latency", "p95 ceiling", "p99 ceiling"], result.Findings.Skip(2).Select(f => f.Metric));
        Assert.Equal("p50 at most 10% above stable's, p95 at most 20% above stable's, p95 at most 100 ms, p99 at most 300 ms",
            string.Join(", ", gates.LatencyGates.Select(g => g.Describe())));
        Assert.Equal("p50 regression ≤ 10%, p95 regression ≤ 20%, p95 ≤ 100 ms, p99 ≤ 300 ms", string.Join(", ", gates.LatencyGates.Select(g => g.Brief())));
    }

    private static (long, long, double) Tail(QuantileTestResult result) => (result.CanaryOver, result.StableOver, result.P);

    private static RevisionSample Sample(string name, long[] histogram) => new(name, histogram.Sum(), 0, histogram, Bounds);

    private static Finding Find(AnalysisResult result, string metric) => result.Findings.Single(f => f.Metric == metric);
}
