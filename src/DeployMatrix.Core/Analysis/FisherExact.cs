namespace DeployMatrix.Core.Analysis;

/// <summary>
/// Fisher's exact test on a 2×2 table of failed/ok requests for canary and stable, one-sided: is the
/// canary's failure rate higher? Unlike a threshold on the canary's rate alone, it compares the two
/// populations, and it still flags a canary with new errors when stable has none.
/// </summary>
public static class FisherExact
{
    /// <returns>P(canary failures ≥ observed | both margins fixed), the hypergeometric upper tail; 1 when nothing failed or the canary had no requests.</returns>
    /// <remarks>
    /// Every table summed is possible: from the observed count up, the canary's successes (canaryTotal − k)
    /// never exceed all successes, since the stable's are not negative.
    /// </remarks>
    public static double CanaryWorse(long canaryFailed, long canaryTotal, long stableFailed, long stableTotal)
    {
        var failed = canaryFailed + stableFailed;
        var total = canaryTotal + stableTotal;
        var denominator = Statistics.LogChoose(total, canaryTotal);
        var upper = Math.Min(failed, canaryTotal);
        var p = 0.0;
        for (var k = canaryFailed; k <= upper; k++)
        {
            p += Math.Exp(Statistics.LogChoose(failed, k) + Statistics.LogChoose(total - failed, canaryTotal - k) - denominator);
        }

        return Math.Min(1, p);
    }
}
