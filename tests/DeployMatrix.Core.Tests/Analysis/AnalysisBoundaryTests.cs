using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Tests.Analysis;

/// <summary>
/// The analysis at its edges: each threshold exactly met, each rule taken alone, and the statistics
/// pinned to values computed independently (textbook formulas and brute-force enumeration).
/// </summary>
public sealed class AnalysisBoundaryTests
{
    private static readonly double[] Bounds = [5, 10, 15, 20, 30, 40, 60];
    private static readonly RolloutGates Gates = new() { Max5xxRatePercent = 1, MaxP95RegressionPercent = 20, MinRequests = 100 };

    [Fact]
    public void AnEmptySample_HasNoFailureRateAndNoP95()
    {
        var empty = new RevisionSample("r", 0, 0, [0, 0], Bounds);

        Assert.Equal(0, empty.FailureRate);
        Assert.Equal(0, empty.P95Ms);
    }

    [Fact]
    public void P95_IsTheBucketWhereThe95thRequestFalls_CountingABoundaryExactly()
    {
        Assert.Equal(5, new RevisionSample("r", 100, 0, [95, 5], Bounds).P95Ms);
        Assert.Equal(10, new RevisionSample("r", 100, 0, [94, 6], Bounds).P95Ms);
        // Past the last bound: the highest bound stands for the overflow bucket.
        Assert.Equal(60, new RevisionSample("r", 10, 0, [0, 0, 0, 0, 0, 0, 0, 10], Bounds).P95Ms);
    }

    [Fact]
    public void ExactlyTheMinimumRequests_IsEnoughToJudge_OneLessIsInconclusive()
    {
        Assert.NotEqual(Verdict.Inconclusive, Analyze(100, 0, [100, 0, 0, 0, 0], 100, 0, [100, 0, 0, 0, 0]).Verdict);
        Assert.Equal(Verdict.Inconclusive, Analyze(99, 0, [99, 0, 0, 0, 0], 100, 0, [100, 0, 0, 0, 0]).Verdict);
        Assert.Equal(Verdict.Inconclusive, Analyze(100, 0, [100, 0, 0, 0, 0], 99, 0, [99, 0, 0, 0, 0]).Verdict);
        Assert.NotNull(CanaryAnalysis.EarlyFailure(Sample(100, 50, [100, 0, 0, 0, 0]), Sample(100, 0, [100, 0, 0, 0, 0]), Gates));
        Assert.Null(CanaryAnalysis.EarlyFailure(Sample(99, 50, [99, 0, 0, 0, 0]), Sample(100, 0, [100, 0, 0, 0, 0]), Gates));
        Assert.Null(CanaryAnalysis.EarlyFailure(Sample(100, 50, [100, 0, 0, 0, 0]), Sample(99, 0, [99, 0, 0, 0, 0]), Gates));
    }

    [Fact]
    public void TheFiveXxGate_FailsAtExactlyItsThreshold_AsTheSeedsLessThanOnePercentSays()
    {
        var atOne = Analyze(1000, 10, [1000, 0, 0, 0, 0], 1000, 10, [1000, 0, 0, 0, 0]);
        var under = Analyze(1000, 9, [1000, 0, 0, 0, 0], 1000, 10, [1000, 0, 0, 0, 0]);

        Assert.Equal(Verdict.Fail, Rate(atOne).Verdict);
        Assert.Equal(Verdict.Pass, Rate(under).Verdict);
        Assert.Equal(Verdict.Pass, Find(atOne, "error count test").Verdict);
    }

    [Fact]
    public void TheErrorTestAtTheEnd_FailsOnlyBelowWhatTheLooksLeftOfAlpha()
    {
        var p = FisherExact.CanaryWorse(3, 200, 1, 800);

        // α = 2p with p spent on the looks leaves exactly p for the end: p itself is not below it.
        var atAlpha = Analyze(200, 3, [200, 0, 0, 0, 0], 800, 1, [800, 0, 0, 0, 0], new AnalysisOptions { Alpha = 2 * p, EarlyAlpha = p });
        var aboveAlpha = Analyze(200, 3, [200, 0, 0, 0, 0], 800, 1, [800, 0, 0, 0, 0], new AnalysisOptions { Alpha = 2 * p * 1.0001, EarlyAlpha = p });

        Assert.Equal(p, new AnalysisOptions { Alpha = 2 * p, EarlyAlpha = p }.EndAlpha);
        Assert.Equal(Verdict.Pass, Find(atAlpha, "error count test").Verdict);
        Assert.Equal(Verdict.Fail, Find(aboveAlpha, "error count test").Verdict);
        Assert.Contains(FormattableString.Invariant($"Fisher exact one-sided p={p:0.####} (α=0.04, 0.05 less 0.01 for the looks inside the window)"),
            Find(Analyze(200, 3, [200, 0, 0, 0, 0], 800, 1, [800, 0, 0, 0, 0]), "error count test").Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEarlyLook_FailsOnlyAtOneOverItsAlpha_OfTheSequentialTest()
    {
        // 3 of the 4 failures on a canary with a fifth of the requests; the 5xx gate (1%) is broken by 3/200.
        var evidence = SequentialErrorTest.Test(3, 200, 1, 800, 0.5).Evidence;

        var justEnough = CanaryAnalysis.EarlyFailure(Sample(200, 3, [200, 0, 0, 0, 0]), Sample(800, 1, [800, 0, 0, 0, 0]), Gates, new AnalysisOptions { EarlyAlpha = 1.0001 / evidence, Alpha = 0.5 });
        var tooLittle = CanaryAnalysis.EarlyFailure(Sample(200, 3, [200, 0, 0, 0, 0]), Sample(800, 1, [800, 0, 0, 0, 0]), Gates, new AnalysisOptions { EarlyAlpha = 0.9999 / evidence, Alpha = 0.5 });

        Assert.NotNull(justEnough);
        Assert.Null(tooLittle);
        Assert.EndsWith("for 3 of the 4 failures on the canary, which has 20% of the requests; n canary=200, stable=800; the window stopped early", justEnough!.Findings[1].Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEarlyAlphaOutsideTheOverallAlpha_IsRefused()
    {
        var sample = Sample(200, 0, [200, 0, 0, 0, 0]);

        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryAnalysis.Analyze(sample, sample, Gates, new AnalysisOptions { Alpha = 0.01, EarlyAlpha = 0.01 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryAnalysis.EarlyFailure(sample, sample, Gates, new AnalysisOptions { EarlyAlpha = 0 }));
    }

    [Fact]
    public void AfterAnEndThatSpentFisher_ErrorsAreJudgedByTheSequentialTest()
    {
        // 3/200 against 1/800: Fisher p≈0.02 fails at the end's 0.04, but the sequential evidence is far from 100.
        var first = Analyze(200, 3, [200, 0, 0, 0, 0], 800, 1, [800, 0, 0, 0, 0]);
        var extended = Analyze(200, 3, [200, 0, 0, 0, 0], 800, 1, [800, 0, 0, 0, 0], new AnalysisOptions { EndTestSpent = true });

        Assert.Equal(Verdict.Fail, Find(first, "error count test").Verdict);
        Assert.Equal(Verdict.Pass, Find(extended, "error count test").Verdict);
        Assert.StartsWith("sequential probability ratio ", Find(extended, "error count test").Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Latency_FailsOnlyWhenTheRegressionIsMaterial_AndTheShiftIsSignificantAndLarge()
    {
        // Stable at 15 ms, canary at 20 ms: +33%, 5 ms slower, every canary request slower.
        var slower = Analyze(200, 0, [0, 0, 0, 200, 0], 200, 0, [0, 0, 200, 0, 0]);
        // 20 → 30 ms is exactly +50%: exactly the regression threshold is not over it.
        var atThreshold = Analyze(200, 0, [0, 0, 0, 0, 200], 200, 0, [0, 0, 0, 200, 0], gates: Gates with { MaxP95RegressionPercent = 50 });
        // 5 → 10 ms is +100% but only 5 ms: exactly the absolute floor still counts…
        var atFloor = Analyze(200, 0, [0, 200, 0, 0, 0], 200, 0, [200, 0, 0, 0, 0]);
        // …and 1 ms less does not, however large the percentage.
        var underFloor = Analyze(200, 0, [0, 200, 0, 0, 0], 200, 0, [200, 0, 0, 0, 0], new AnalysisOptions { LatencyAbsoluteFloorMs = 5.0001 });

        Assert.Equal(Verdict.Fail, Latency(slower).Verdict);
        Assert.StartsWith("p95 canary 20 ms vs stable 15 ms (+33.3%, threshold ≤ 20% and ≥ 5 ms); Mann-Whitney U one-sided p=0", Latency(slower).Explanation, StringComparison.Ordinal);
        Assert.Equal(Verdict.Pass, Latency(atThreshold).Verdict);
        Assert.Equal(Verdict.Fail, Latency(atFloor).Verdict);
        Assert.Equal(Verdict.Pass, Latency(underFloor).Verdict);
    }

    [Fact]
    public void AShiftOfTheWholeDistribution_IsConfirmedByTheUTest_AtItsEffectFloorAndAlpha()
    {
        // The faster half of the requests moved up a bucket, the tail hardly: p95 10 → 15 ms (+50%, 5 ms), 7 of 100
        // canary requests over 10 ms against 5 of 100 (no tail to speak of), but a canary request is slower ~74% of the time.
        long[] canary = [0, 93, 7, 0, 0], stable = [50, 45, 5, 0, 0];
        var whole = MannWhitney.FromHistograms(canary, stable);
        var tail = QuantileTest.AtPooledPercentile(canary, stable, Bounds, 95);

        var shifted = Analyze(100, 0, canary, 100, 0, stable);
        var atEffect = Analyze(100, 0, canary, 100, 0, stable, new AnalysisOptions { LatencyEffectFloor = whole.Effect });
        var overEffect = Analyze(100, 0, canary, 100, 0, stable, new AnalysisOptions { LatencyEffectFloor = Math.BitIncrement(whole.Effect) });
        var atP = Analyze(100, 0, canary, 100, 0, stable, new AnalysisOptions { Alpha = whole.PGreater, EarlyAlpha = whole.PGreater / 2 });

        Assert.True(tail.P > 0.05, $"the tail test alone must not confirm it (p={tail.P})");
        Assert.Equal((7L, 5L), (tail.CanaryOver, tail.StableOver));
        Assert.Equal(Verdict.Fail, Latency(shifted).Verdict);
        Assert.Equal(Verdict.Fail, Latency(atEffect).Verdict);
        Assert.Equal(Verdict.Inconclusive, Latency(overEffect).Verdict);
        Assert.Equal(Verdict.Inconclusive, Latency(atP).Verdict);
    }

    [Fact]
    public void AMaterialRegressionNeitherRankTestConfirms_IsInconclusive_NotAFailure()
    {
        // One canary request more in the 10 ms bucket moves its p95 from 5 to 10 ms: +100%, 5 ms; by rank it is chance.
        var result = Analyze(100, 0, [94, 6, 0, 0, 0], 100, 0, [95, 5, 0, 0, 0]);

        Assert.Equal(Verdict.Inconclusive, Latency(result).Verdict);
        Assert.Contains("quantile test over 5 ms: canary 6/100 vs stable 5/100", Latency(result).Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void ASlowTail_IsConfirmedByTheQuantileTest_WhereTheUTestSeesNothing()
    {
        // 15% of canary requests three times slower: p95 5 → 15 ms; the U effect (0.575) stays under its floor.
        long[] canary = [850, 0, 150, 0, 0], stable = [1000, 0, 0, 0, 0];
        var whole = MannWhitney.FromHistograms(canary, stable);

        var result = Analyze(1000, 0, canary, 1000, 0, stable, gates: Gates with { MaxP95RegressionPercent = 10 });

        Assert.True(whole.PGreater < 0.05 && whole.Effect < 0.6);
        Assert.Equal(Verdict.Fail, Latency(result).Verdict);
        Assert.Contains("quantile test over 10 ms: canary 150/1000 vs stable 0/1000, Fisher one-sided p=0;", Latency(result).Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void AStableWithoutLatencies_IsNoBaseline_SoLatencyPasses()
    {
        var result = Analyze(200, 0, [0, 0, 0, 200, 0], 200, 0, [0, 0, 0, 0, 0], gates: Gates);

        Assert.Equal(Verdict.Pass, Latency(result).Verdict);
        Assert.Contains("(0%,", Latency(result).Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_JoinsTheFindingsOfTheVerdict()
    {
        var result = Analyze(1000, 50, [0, 0, 0, 1000, 0], 1000, 0, [0, 0, 1000, 0, 0]);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.StartsWith("5xx rate: canary 5% (50/1000)", result.Explain(), StringComparison.Ordinal);
        Assert.Contains("; error count test: Fisher exact", result.Explain(), StringComparison.Ordinal);
        Assert.Contains("; p95 latency: p95 canary 20 ms", result.Explain(), StringComparison.Ordinal);
    }

    [Fact]
    public void Fisher_IsTheHypergeometricUpperTail()
    {
        Assert.Equal(0.024493621253562345, FisherExact.CanaryWorse(3, 20, 1, 80), 12);
        Assert.Equal(9.125437844170035e-06, FisherExact.CanaryWorse(5, 100, 0, 900), 15);
        // A canary doing better than an all-failing stable is not worse; nor is a canary with no requests.
        Assert.Equal(1, FisherExact.CanaryWorse(2, 10, 10, 10), 12);
        Assert.Equal(1, FisherExact.CanaryWorse(0, 0, 5, 10), 12);
    }

    [Fact]
    public void MannWhitney_WithTies_UsesTheNormalApproximationWithTieAndContinuityCorrection()
    {
        var result = MannWhitney.Test([1, 2, 2, 3, 5], [2, 3, 3, 4, 4, 6]);

        Assert.False(result.Exact);
        Assert.Equal(8, result.U);
        Assert.Equal(0.9189741928151816, result.PGreater, 6);
        Assert.Equal(0.22559760855754862, result.PTwoSided, 6);
        Assert.Equal(8.0 / 30, result.Effect, 12);
        Assert.Equal((5, 6), (result.N1, result.N2));
    }

    [Fact]
    public void MannWhitney_TiesWithinOneSampleAlone_AlsoRuleOutTheExactDistribution()
    {
        Assert.False(MannWhitney.Test([1, 1, 2], [3, 4]).Exact);
        Assert.True(MannWhitney.Test([1, 2, 5], [3, 4]).Exact);
        // Each 2 of the first sample ties the second's 2 (half each) and loses to its 4: U = 1.
        Assert.Equal(1, MannWhitney.Test([1, 2, 2], [2, 4]).U);
    }

    [Fact]
    public void MannWhitney_SmallSamplesWithoutTies_AreExact_AsCountingEveryArrangementGives()
    {
        var result = MannWhitney.Test([3, 5, 9], [1, 2, 4, 6]);
        var skewed = MannWhitney.Test([10, 11, 12], [1, 2, 3, 4, 13]);

        Assert.True(result.Exact);
        Assert.Equal((9, 0.2, 0.4, 0.75), (result.U, Math.Round(result.PGreater, 12), Math.Round(result.PTwoSided, 12), result.Effect));
        Assert.Equal((12, 0.125, 0.25, 0.8), (skewed.U, Math.Round(skewed.PGreater, 12), Math.Round(skewed.PTwoSided, 12), skewed.Effect));
    }

    [Fact]
    public void MannWhitney_IsExactOnlyWhenBothSamplesAreSmall()
    {
        var large = Enumerable.Range(100, 21).Select(i => (double)i).ToList();

        Assert.False(MannWhitney.Test([1, 2, 3], large).Exact);
        Assert.False(MannWhitney.Test(large, [1, 2, 3]).Exact);
    }

    [Fact]
    public void MannWhitney_FromHistograms_TreatsABucketAsATie_AndNeverIsExact()
    {
        var result = MannWhitney.FromHistograms([0, 2, 3], [3, 2, 0]);
        var larger = MannWhitney.FromHistograms([0, 3, 5, 2], [4, 6, 2, 0]);

        Assert.False(result.Exact);
        Assert.Equal((23, 0.92), (result.U, result.Effect));
        Assert.Equal(0.013444227051872896, result.PGreater, 6);
        Assert.Equal(0.026888454103745792, result.PTwoSided, 6);
        Assert.Equal(0.002943535157919615, larger.PGreater, 6);
    }

    [Fact]
    public void MannWhitney_WithAnEmptySample_OrNoSpread_SaysNothing()
    {
        var emptyFirst = MannWhitney.FromHistograms([0, 0], [1, 2]);
        var emptySecond = MannWhitney.Test([1, 2], []);
        var allTied = MannWhitney.Test([5, 5], [5, 5]);

        Assert.Equal((1.0, 1.0, 0.5, false), (emptyFirst.PGreater, emptyFirst.PTwoSided, emptyFirst.Effect, emptyFirst.Exact));
        Assert.Equal((1.0, 0.5, 2L, 0L), (emptySecond.PGreater, emptySecond.Effect, emptySecond.N1, emptySecond.N2));
        Assert.Equal((1.0, 1.0, 0.5, false), (allTied.PGreater, allTied.PTwoSided, allTied.Effect, allTied.Exact));
    }

    private static AnalysisResult Analyze(long canaryRequests, long canaryFailed, long[] canaryHistogram, long stableRequests, long stableFailed, long[] stableHistogram,
        AnalysisOptions? options = null, RolloutGates? gates = null) =>
        CanaryAnalysis.Analyze(Sample(canaryRequests, canaryFailed, canaryHistogram), Sample(stableRequests, stableFailed, stableHistogram), gates ?? Gates, options);

    private static RevisionSample Sample(long requests, long failed, long[] histogram) => new("r", requests, failed, histogram, Bounds);

    private static Finding Rate(AnalysisResult result) => Find(result, "5xx rate");

    private static Finding Latency(AnalysisResult result) => Find(result, "p95 latency");

    private static Finding Find(AnalysisResult result, string metric) => result.Findings.Single(f => f.Metric == metric);
}
