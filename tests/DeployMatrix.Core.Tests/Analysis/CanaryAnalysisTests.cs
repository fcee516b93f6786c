using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Tests.Analysis;

public sealed class CanaryAnalysisTests
{
    private static readonly double[] Bounds = [1, 2, 4, 8, 16, 32, 64, 128];
    private static readonly RolloutGates Gates = new() { Max5xxRatePercent = 1, MaxP95RegressionPercent = 20, MinRequests = 100 };

    [Fact]
    public void HealthyCanary_Passes()
    {
        var result = CanaryAnalysis.Analyze(Sample("canary", 500, 0, [0, 100, 350, 50, 0]), Sample("stable", 9500, 0, [0, 1900, 6650, 950, 0]), Gates);

        Assert.Equal(Verdict.Pass, result.Verdict);
    }

    [Fact]
    public void EarlyFailure_StopsAWindowOnlyForClearErrors_NeverForLatencyOrPassing()
    {
        // 5% errors on 400 canary requests against a clean stable: the gate and the sequential test both fail.
        var clear = CanaryAnalysis.EarlyFailure(Sample("canary", 400, 20, [0, 80, 280, 40]), Sample("stable", 7600, 0, [0, 1520, 5320, 760]), Gates);
        // 2 errors in 150 against 3 in 2850: over the 1% gate, but a ratio of 7.8 is far from 100 (α=0.01 over all looks): keep watching.
        var noisy = CanaryAnalysis.EarlyFailure(Sample("canary", 150, 2, [0, 30, 100, 20]), Sample("stable", 2850, 3, [0, 570, 1995, 285]), Gates);
        var slowButClean = CanaryAnalysis.EarlyFailure(Sample("canary", 400, 0, [0, 0, 0, 0, 0, 0, 400]), Sample("stable", 7600, 0, [0, 1520, 5320, 760]), Gates);
        var tooFew = CanaryAnalysis.EarlyFailure(Sample("canary", 50, 50, [0, 50]), Sample("stable", 950, 0, [0, 950]), Gates);

        Assert.NotNull(clear);
        Assert.Equal(Verdict.Fail, clear.Verdict);
        Assert.Contains("the window stopped early", clear.Explain(), StringComparison.Ordinal);
        Assert.Contains("(fails at ≥ 100 = 1/α, α=0.01 over all looks) for 20 of the 20 failures on the canary, which has 5% of the requests", clear.Explain(), StringComparison.Ordinal);
        Assert.Null(noisy);
        Assert.Null(slowButClean);
        Assert.Null(tooFew);
    }

    [Fact]
    public void FivePercentServerErrors_Fail_NamingTheMetricAndNumbers()
    {
        var result = CanaryAnalysis.Analyze(Sample("canary", 400, 20, [0, 80, 280, 40]), Sample("stable", 7600, 8, [0, 1520, 5320, 760]), Gates);

        Assert.Equal(Verdict.Fail, result.Verdict);
        var rate = result.Findings.Single(f => f.Metric == "5xx rate");
        Assert.Equal(Verdict.Fail, rate.Verdict);
        Assert.Equal("canary 5% (20/400) vs stable 0.105% (8/7600); threshold < 1%", rate.Explanation);
    }

    [Fact]
    public void NewErrorsAgainstAZeroErrorBaseline_FailEvenUnderTheRateThreshold()
    {
        // 0.8% canary errors is under the 1% gate, but stable has none in 19x the traffic.
        var result = CanaryAnalysis.Analyze(Sample("canary", 1000, 8, [0, 200, 700, 100]), Sample("stable", 19000, 0, [0, 3800, 13300, 1900]), Gates);

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Equal(Verdict.Pass, result.Findings.Single(f => f.Metric == "5xx rate").Verdict);
        var test = result.Findings.Single(f => f.Metric == "error count test");
        Assert.Equal(Verdict.Fail, test.Verdict);
        Assert.Contains("Fisher exact one-sided p=0", test.Explanation, StringComparison.Ordinal);
        Assert.Contains("n canary=1000, stable=19000", test.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void FiftyPercentSlowerAtP95_Fails_WithTheRankTest()
    {
        // Stable p95 in the 8 ms bucket; canary shifted a bucket up (16 ms): +100% at p95, clearly slower by rank.
        var result = CanaryAnalysis.Analyze(Sample("canary", 500, 0, [0, 0, 50, 300, 150]), Sample("stable", 9500, 0, [0, 950, 5700, 2850, 0]), Gates);

        var latency = result.Findings.Single(f => f.Metric == "p95 latency");
        Assert.Equal(Verdict.Fail, latency.Verdict);
        Assert.StartsWith("p95 canary 16 ms vs stable 8 ms (+100%, threshold ≤ 20% and ≥ 5 ms); Mann-Whitney U one-sided p=0", latency.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void LowTraffic_IsInconclusive_NeverAPass()
    {
        var result = CanaryAnalysis.Analyze(Sample("canary", 12, 0, [0, 12]), Sample("stable", 240, 0, [0, 240]), Gates);

        Assert.Equal(Verdict.Inconclusive, result.Verdict);
        Assert.Equal("sample size: too few requests to judge (n canary=12, stable=240; at least 100 each are needed)", result.Explain());
    }

    [Fact]
    public void P95OverThresholdWithoutARealShift_IsInconclusive()
    {
        // A few slow outliers move the canary's p95 bucket, but by rank the two are alike.
        var result = CanaryAnalysis.Analyze(Sample("canary", 200, 0, [0, 0, 0, 0, 0, 100, 88, 12]), Sample("stable", 200, 0, [0, 0, 0, 0, 0, 100, 92, 8]), Gates);

        var latency = result.Findings.Single(f => f.Metric == "p95 latency");
        Assert.Equal(Verdict.Inconclusive, latency.Verdict);
    }

    [Fact]
    public void SubMillisecondRegression_IsNotMaterial()
    {
        // +33% at p95, but 0.2 ms: a fresh process on a fast path, not a slower release.
        var bounds = new[] { 0.5, 0.6, 0.7, 0.8 };
        var canary = new RevisionSample("canary", 500, 0, [0, 0, 400, 100, 0], bounds);
        var stable = new RevisionSample("stable", 9500, 0, [0, 9000, 500, 0, 0], bounds);

        var result = CanaryAnalysis.Analyze(canary, stable, Gates);

        Assert.Equal(Verdict.Pass, result.Findings.Single(f => f.Metric == "p95 latency").Verdict);
    }

    private static RevisionSample Sample(string name, long requests, long failed, long[] histogram)
    {
        var padded = histogram.Concat(Enumerable.Repeat(0L, Bounds.Length + 1 - histogram.Length)).ToArray();
        return new RevisionSample(name, requests, failed, padded, Bounds);
    }
}
