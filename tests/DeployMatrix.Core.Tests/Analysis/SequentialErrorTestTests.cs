using DeployMatrix.Core.Analysis;

namespace DeployMatrix.Core.Tests.Analysis;

/// <summary>
/// The sequential error test against its closed form, a numerical integral, and — computed exactly, by walking
/// every sequence of failures — the chance that it ever fails a canary that errs as stable does.
/// </summary>
public sealed class SequentialErrorTestTests
{
    [Fact]
    public void TwoFailuresOfTwo_OnACanaryWithFivePercentOfTheRequests_AreARatioOf133()
    {
        // 1 / ((m+1)·C(m,k)·s^k·(1−s)^(m−k)) = 1 / (3 · 1 · 0.05²).
        var result = SequentialErrorTest.Test(2, 50, 0, 950, 0.01);

        Assert.Equal(400.0 / 3, result.Evidence, 9);
        Assert.Equal(100, result.Threshold, 12);
        Assert.Equal((2L, 2L, 0.05), (result.Failures, result.CanaryFailures, result.CanaryShare));
        Assert.True(result.CanaryWorse);
    }

    [Theory]
    [InlineData(3, 7, 0.2)]
    [InlineData(0, 5, 0.5)]
    [InlineData(12, 40, 0.25)]
    public void TheEvidence_IsTheLikelihoodRatioMixedOverAUniformPrior(int k, int m, double share)
    {
        // ∫₀¹ p^k (1−p)^(m−k) dp by the midpoint rule, over the likelihood at the share.
        const int Steps = 200_000;
        var integral = Enumerable.Range(0, Steps).Select(i => (i + 0.5) / Steps).Sum(p => Math.Pow(p, k) * Math.Pow(1 - p, m - k)) / Steps;
        var expected = integral / (Math.Pow(share, k) * Math.Pow(1 - share, m - k));
        var canaryRequests = (long)(share * 1000);

        var evidence = SequentialErrorTest.Test(k, canaryRequests, m - k, 1000 - canaryRequests, 0.05).Evidence;

        Assert.Equal(expected, evidence, expected * 1e-6);
    }

    [Fact]
    public void NothingFailed_OrARevisionWithoutRequests_IsNoEvidence()
    {
        Assert.Equal(1, SequentialErrorTest.Test(0, 100, 0, 1900, 0.01).Evidence);
        Assert.Equal(1, SequentialErrorTest.Test(5, 5, 0, 0, 0.01).Evidence);
        Assert.Equal(1, SequentialErrorTest.Test(0, 0, 5, 100, 0.01).Evidence);
        Assert.False(SequentialErrorTest.Test(5, 5, 0, 0, 0.01).CanaryWorse);
    }

    [Fact]
    public void StrongEvidenceThatStableErrsMore_NeverFailsTheCanary()
    {
        // 20 failures, none of them the canary's, at an even split: Λ ≈ 5·10⁴, the other way round.
        var result = SequentialErrorTest.Test(0, 500, 20, 500, 0.01);

        Assert.True(result.Evidence > result.Threshold);
        Assert.False(result.CanaryWorse);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-0.1)]
    public void AnAlphaOutsideZeroToOne_IsRefused(double alpha) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SequentialErrorTest.Test(1, 10, 1, 10, alpha));

    [Theory]
    [InlineData(0.05, 0.01)]
    [InlineData(0.25, 0.01)]
    [InlineData(0.5, 0.05)]
    public void ACanaryThatErrsAsStableDoes_IsEverFailed_WithAChanceOfAtMostAlpha_HoweverOftenItIsLookedAt(double share, double alpha)
    {
        // Every failure is the canary's with probability `share`; the test looks after each of 2,000 failures.
        var everFailed = ChanceOfEverFailing(share, failures: 2000, look: (k, m) => SequentialErrorTest.Test(k, (long)(share * 1e6), m - k, (long)((1 - share) * 1e6), alpha).CanaryWorse);

        Assert.InRange(everFailed, 0, alpha);
    }

    [Fact]
    public void FisherAtTheSameAlphaAfterEveryFailure_WouldFailHealthyCanariesFarMoreOften()
    {
        // Why the looks need a sequential test: a fixed-sample test repeated at each look exceeds its α many times over.
        const double Share = 0.25, Alpha = 0.01;
        var repeated = ChanceOfEverFailing(Share, failures: 100,
            look: (k, m) => FisherExact.CanaryWorse(k, 250_000, m - k, 750_000) < Alpha);
        var sequential = ChanceOfEverFailing(Share, failures: 100,
            look: (k, m) => SequentialErrorTest.Test(k, 250_000, m - k, 750_000, Alpha).CanaryWorse);

        Assert.True(repeated > 3 * Alpha, $"repeated Fisher: {repeated}");
        Assert.True(sequential <= Alpha, $"sequential: {sequential}");
    }

    /// <summary>
    /// P(the look says "fail" after some failure m ≤ <paramref name="failures"/>) when each failure is the canary's with
    /// probability <paramref name="share"/>: the distribution of the canary's count k is carried forward failure by
    /// failure, and what the look fails is taken out (a failed canary is rolled back and looked at no more). Counts
    /// with a chance under 10⁻¹⁸ are carried but not looked at: all of them together cannot move the result by 10⁻¹¹.
    /// </summary>
    private static double ChanceOfEverFailing(double share, int failures, Func<int, int, bool> look)
    {
        var alive = new double[failures + 2];
        alive[0] = 1;
        var failed = 0.0;
        for (var m = 1; m <= failures; m++)
        {
            var next = new double[failures + 2];
            for (var k = 0; k < m; k++)
            {
                next[k] += alive[k] * (1 - share);
                next[k + 1] += alive[k] * share;
            }

            for (var k = 0; k <= m; k++)
            {
                if (next[k] > 1e-18 && look(k, m))
                {
                    failed += next[k];
                    next[k] = 0;
                }
            }

            alive = next;
        }

        return failed;
    }
}
