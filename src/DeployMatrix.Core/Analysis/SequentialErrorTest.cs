namespace DeployMatrix.Core.Analysis;

/// <summary>Where the sequential error test stands at one look.</summary>
/// <param name="Evidence">The mixture likelihood ratio Λ (≥ 0; 1 when no request failed): how much likelier the failures' sources are if the canary errs more than stable.</param>
/// <param name="Threshold">1/α: Λ at or above it ends the test.</param>
/// <param name="Failures">Failed requests of both revisions together (m).</param>
/// <param name="CanaryFailures">Of those, the canary's (k).</param>
/// <param name="CanaryShare">The canary's share of all requests (s, 0..1): the chance a failure is the canary's when both fail alike.</param>
public sealed record SequentialResult(double Evidence, double Threshold, long Failures, long CanaryFailures, double CanaryShare)
{
    /// <summary>The canary errs more than stable, beyond what chance allows at this α however often the test was looked at.</summary>
    public bool CanaryWorse => Evidence >= Threshold && CanaryFailures > CanaryShare * Failures;
}

/// <summary>
/// A sequential test of "the canary fails more often than stable" that may be looked at after every request, for
/// as long as a window (and its extensions) runs, while the chance that it ever fails a healthy canary stays at or
/// below α.
/// </summary>
/// <remarks>
/// <para>
/// The failures' sources. When canary and stable fail alike (a share q of the requests of each, whatever q is),
/// each failed request is the canary's with probability s, the canary's share of the requests, independently of
/// the others: the conditional binomial test of two rates (Przyborowski and Wilenski, "Homogeneity of results in
/// testing samples from Poisson series", Biometrika 31, 1940), which Kulldorff et al. run sequentially as the
/// binomial MaxSPRT ("A maximized sequential probability ratio test for drug and vaccine safety surveillance",
/// Sequential Analysis 30, 2011). The unknown error rate q drops out, so a zero-error stable needs no special case.
/// The split is fixed within a stage; s is the share of requests counted in the window.
/// </para>
/// <para>
/// The evidence. Against s, the likelihood ratio of the k canary failures among m, mixed over a uniform prior
/// on the canary's share of failures p (Robbins' mixture, "Statistical methods related to the law of the iterated
/// logarithm", Annals of Mathematical Statistics 41, 1970):
/// Λ = ∫₀¹ pᵏ(1−p)ᵐ⁻ᵏ dp / (sᵏ(1−s)ᵐ⁻ᵏ) = 1 / ((m+1)·C(m,k)·sᵏ·(1−s)ᵐ⁻ᵏ).
/// Under "both fail alike" Λ is a non-negative martingale with mean 1, so by Ville's inequality
/// (Ville, Étude critique de la notion de collectif, 1939) P(Λ ever reaches 1/α) ≤ α: any number of looks, at
/// any times, stopping whenever — the "always valid" mSPRT of Johari et al. ("Peeking at A/B tests", KDD 2017).
/// Only a canary with more than its share of the failures is failed (k &gt; s·m), a subset of those events.
/// </para>
/// <para>
/// Why not alpha spending (O'Brien-Fleming, Pocock): a spending function needs the share of the information
/// each look holds, which a window extended while inconclusive, and traffic that varies, do not give; and its
/// nominal levels for hundreds of correlated looks need numerical integration. The mixture needs neither.
/// </para>
/// </remarks>
public static class SequentialErrorTest
{
    /// <summary>The test at one look, from the window's counts so far.</summary>
    /// <param name="alpha">The chance (0..1, exclusive) of ever failing a canary that errs as stable does.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not inside (0, 1).</exception>
    public static SequentialResult Test(long canaryFailed, long canaryRequests, long stableFailed, long stableRequests, double alpha)
    {
        if (alpha is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be inside (0, 1)");
        }

        var total = canaryRequests + stableRequests;
        var share = total == 0 ? 0 : canaryRequests / (double)total;
        return new SequentialResult(Math.Exp(LogEvidence(canaryFailed, canaryRequests, stableFailed, stableRequests)), 1 / alpha,
            canaryFailed + stableFailed, canaryFailed, share);
    }

    /// <summary>ln Λ; 0 (Λ = 1) when nothing failed or a revision had no requests (nothing to compare).</summary>
    public static double LogEvidence(long canaryFailed, long canaryRequests, long stableFailed, long stableRequests)
    {
        long m = canaryFailed + stableFailed, k = canaryFailed;
        if (m == 0 || canaryRequests <= 0 || stableRequests <= 0)
        {
            return 0;
        }

        var s = canaryRequests / (double)(canaryRequests + stableRequests);
        return -Math.Log(m + 1) - Statistics.LogChoose(m, k) - (k * Math.Log(s)) - ((m - k) * Math.Log(1 - s));
    }
}
