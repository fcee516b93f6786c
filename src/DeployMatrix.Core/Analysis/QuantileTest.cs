namespace DeployMatrix.Core.Analysis;

/// <summary>The quantile test's counts and verdict.</summary>
/// <param name="OverMs">The threshold (ms): requests in buckets above it count as over.</param>
/// <param name="CanaryOver">Canary requests over the threshold.</param>
/// <param name="CanaryTotal">Canary requests with a latency.</param>
/// <param name="StableOver">Stable requests over the threshold.</param>
/// <param name="StableTotal">Stable requests with a latency.</param>
/// <param name="P">One-sided p-value for "the canary has more of its requests over the threshold" (Fisher's exact test; 1 when nothing can be compared).</param>
public sealed record QuantileTestResult(double OverMs, long CanaryOver, long CanaryTotal, long StableOver, long StableTotal, double P);

/// <summary>
/// A rank test at one percentile: are more of the canary's requests above a threshold than stable's? The slowest
/// 1% can regress a p99 while the Mann-Whitney U over all requests barely moves — if the slowest (100−q)% of the
/// canary's requests all became slower than every stable one, the chance that a canary request is slower than a
/// stable one grows only from ½ to about ½ + (1−q/100)²/2 (0.50005 at p99), never reaching the effect floor.
/// This test looks where the gate looks.
/// </summary>
/// <remarks>
/// Mood's median test with the pooled percentile in place of the median (Mood, Introduction to the Theory of
/// Statistics, 1950; Conover, Practical Nonparametric Statistics, 3rd ed. 1999, the median test and its extension
/// to quantiles): a rank test whose score is 1 above the threshold. With the threshold taken from both revisions'
/// requests together, which revision each request came from does not change it, so under "both alike" the canary's
/// count over it is hypergeometric given the margins: Fisher's exact test (<see cref="FisherExact"/>) is exact.
/// A fixed threshold (a ceiling) is exact the same way.
/// </remarks>
public static class QuantileTest
{
    /// <summary>
    /// At a percentile of both revisions' requests together: of the two bucket boundaries around the bucket that
    /// holds it, the one with the pooled share over it nearest to (100−percentile)% (the lower one when nothing lies
    /// above the upper one, unless nothing lies below it either).
    /// </summary>
    /// <param name="percentile">0..100.</param>
    /// <param name="boundsMs">The buckets' upper bounds (ms), one fewer than the buckets (the last is open).</param>
    public static QuantileTestResult AtPooledPercentile(IReadOnlyList<long> canary, IReadOnlyList<long> stable, IReadOnlyList<double> boundsMs, double percentile)
    {
        var count = Math.Min(canary.Count, stable.Count);
        var pooled = Enumerable.Range(0, count).Select(i => canary[i] + stable[i]).ToArray();
        if (Buckets.Holding(pooled, percentile) is not { } holding)
        {
            return new QuantileTestResult(0, 0, 0, 0, 0, 1);
        }

        double total = pooled.Sum();
        var wanted = (100 - percentile) / 100;
        var aboveUpper = pooled.Skip(holding + 1).Sum() / total;
        var aboveLower = pooled.Skip(holding).Sum() / total;
        // A boundary with every request on one side ranks nothing: the other one is taken.
        var lower = holding > 0 && aboveLower < 1 && (aboveUpper == 0 || Math.Abs(aboveLower - wanted) < Math.Abs(aboveUpper - wanted));
        return Over(canary, stable, boundsMs, lower ? holding - 1 : holding);
    }

    /// <summary>Over a fixed threshold (a ceiling): every bucket whose upper bound is above it counts as over, as a percentile read from those buckets would.</summary>
    public static QuantileTestResult Above(IReadOnlyList<long> canary, IReadOnlyList<long> stable, IReadOnlyList<double> boundsMs, double thresholdMs)
    {
        // The last bucket at or under the threshold; -1 when even the first bucket reaches above it.
        var last = -1;
        while (last + 1 < boundsMs.Count && boundsMs[last + 1] <= thresholdMs)
        {
            last++;
        }

        var result = Over(canary, stable, boundsMs, last);
        return result with { OverMs = thresholdMs };
    }

    /// <summary>Counts requests in the buckets after <paramref name="last"/>, and tests them.</summary>
    private static QuantileTestResult Over(IReadOnlyList<long> canary, IReadOnlyList<long> stable, IReadOnlyList<double> boundsMs, int last)
    {
        long canaryTotal = canary.Sum(), stableTotal = stable.Sum();
        long canaryOver = canary.Skip(last + 1).Sum(), stableOver = stable.Skip(last + 1).Sum();
        var overMs = last < 0 ? 0 : boundsMs[Math.Min(last, boundsMs.Count - 1)];
        var p = canaryTotal == 0 || stableTotal == 0 ? 1 : FisherExact.CanaryWorse(canaryOver, canaryTotal, stableOver, stableTotal);
        return new QuantileTestResult(overMs, canaryOver, canaryTotal, stableOver, stableTotal, p);
    }
}
