using System.Globalization;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Analysis;

/// <summary>One revision's traffic in an analysis window: requests, failures (5xx and undeliverable) and a latency histogram.</summary>
/// <param name="Histogram">Request counts per latency bucket, ascending, with upper bounds in <see cref="BucketBoundsMs"/> (one more bucket for anything above).</param>
public sealed record RevisionSample(string Revision, long Requests, long Failed, IReadOnlyList<long> Histogram, IReadOnlyList<double> BucketBoundsMs)
{
    public double FailureRate => Requests == 0 ? 0 : Failed / (double)Requests;

    /// <summary>The 95th percentile as the upper bound of its bucket.</summary>
    public double P95Ms
    {
        get
        {
            var total = Histogram.Sum();
            if (total == 0)
            {
                return 0;
            }

            var rank = (long)Math.Ceiling(0.95 * total);
            long seen = 0;
            for (var i = 0; i < Histogram.Count; i++)
            {
                seen += Histogram[i];
                if (seen >= rank)
                {
                    return BucketBoundsMs[Math.Min(i, BucketBoundsMs.Count - 1)];
                }
            }

            return BucketBoundsMs[^1];
        }
    }
}

public enum Verdict
{
    Pass,
    Inconclusive,
    Fail,
}

/// <summary>One metric's judgement, with every number a person needs to check it.</summary>
public sealed record Finding(string Metric, Verdict Verdict, string Explanation);

public sealed record AnalysisResult(Verdict Verdict, IReadOnlyList<Finding> Findings)
{
    public string Explain() => string.Join("; ", Findings.Where(f => f.Verdict == Verdict).Select(f => $"{f.Metric}: {f.Explanation}"));
}

/// <summary>Statistical settings of the analysis, beside the seed's gates.</summary>
public sealed record AnalysisOptions
{
    /// <value>The default significance level is 0.05.</value>
    public double Alpha { get; init; } = 0.05;

    /// <value>The default is 0.6: a latency shift counts only when a canary request is slower than a stable one at least 60% of the time.</value>
    public double LatencyEffectFloor { get; init; } = 0.6;

    /// <value>
    /// The default is 5 ms: a p95 regression smaller than this in absolute terms is not material, whatever its
    /// percentage (sub-millisecond services jitter by tens of percent between fresh and warm processes).
    /// </value>
    public double LatencyAbsoluteFloorMs { get; init; } = 5;

    /// <value>
    /// The default is 0.001: the significance level for failing a window before it ends. The window is
    /// looked at every second, and many looks at α=0.05 would fail healthy canaries by chance; one
    /// fiftieth of it keeps early failures to canaries that clearly err.
    /// </value>
    public double EarlyAlpha { get; init; } = 0.001;
}

/// <summary>
/// Judges a canary against the stable revision over one window: the seed's gates (5xx rate, p95
/// regression) plus tests that compare the two populations. Too little traffic is inconclusive, never
/// a pass; every finding states the metric, both values, the threshold, the test and the sample sizes.
/// </summary>
public static class CanaryAnalysis
{
    public static AnalysisResult Analyze(RevisionSample canary, RevisionSample stable, RolloutGates gates, AnalysisOptions? options = null)
    {
        options ??= new AnalysisOptions();
        var findings = new List<Finding>();
        var sizes = $"n canary={canary.Requests}, stable={stable.Requests}";
        if (canary.Requests < gates.MinRequests || stable.Requests < gates.MinRequests)
        {
            findings.Add(new Finding("sample size", Verdict.Inconclusive,
                $"too few requests to judge ({sizes}; at least {gates.MinRequests} each are needed)"));
            return new AnalysisResult(Verdict.Inconclusive, findings);
        }

        findings.Add(ErrorRate(canary, stable, gates, sizes));
        findings.Add(ErrorTest(canary, stable, options, sizes));
        findings.Add(Latency(canary, stable, gates, options, sizes));
        var verdict = findings.Max(f => f.Verdict);
        return new AnalysisResult(verdict, findings);
    }

    /// <summary>
    /// A look inside a running window: a failure when the canary's errors already break the 5xx gate and
    /// Fisher's test at <see cref="AnalysisOptions.EarlyAlpha"/>, with the minimum sample; otherwise
    /// null and the window runs on. Only errors stop a window early — latency and passing wait for its end.
    /// </summary>
    public static AnalysisResult? EarlyFailure(RevisionSample canary, RevisionSample stable, RolloutGates gates, AnalysisOptions? options = null)
    {
        options ??= new AnalysisOptions();
        if (canary.Requests < gates.MinRequests || stable.Requests < gates.MinRequests)
        {
            return null;
        }

        var sizes = $"n canary={canary.Requests}, stable={stable.Requests}";
        var rate = ErrorRate(canary, stable, gates, sizes);
        var test = ErrorTest(canary, stable, options with { Alpha = options.EarlyAlpha }, sizes);
        return rate.Verdict == Verdict.Fail && test.Verdict == Verdict.Fail
            ? new AnalysisResult(Verdict.Fail, [rate, test with { Explanation = test.Explanation + "; the window stopped early" }])
            : null;
    }

    private static Finding ErrorRate(RevisionSample canary, RevisionSample stable, RolloutGates gates, string sizes)
    {
        var rate = canary.FailureRate * 100;
        var text = Invariant($"canary {rate:0.###}% ({canary.Failed}/{canary.Requests}) vs stable {stable.FailureRate * 100:0.###}% ({stable.Failed}/{stable.Requests}); threshold < {gates.Max5xxRatePercent:0.###}%");
        return new Finding("5xx rate", rate >= gates.Max5xxRatePercent ? Verdict.Fail : Verdict.Pass, text);
    }

    private static Finding ErrorTest(RevisionSample canary, RevisionSample stable, AnalysisOptions options, string sizes)
    {
        var p = FisherExact.CanaryWorse(canary.Failed, canary.Requests, stable.Failed, stable.Requests);
        var worse = canary.FailureRate > stable.FailureRate && p < options.Alpha;
        var text = Invariant($"Fisher exact one-sided p={p:0.####} (α={options.Alpha}) for canary failures {canary.Failed}/{canary.Requests} above stable {stable.Failed}/{stable.Requests}; {sizes}");
        return new Finding("error count test", worse ? Verdict.Fail : Verdict.Pass, text);
    }

    private static Finding Latency(RevisionSample canary, RevisionSample stable, RolloutGates gates, AnalysisOptions options, string sizes)
    {
        var regression = stable.P95Ms <= 0 ? 0 : ((canary.P95Ms / stable.P95Ms) - 1) * 100;
        var test = MannWhitney.FromHistograms(canary.Histogram, stable.Histogram);
        var shifted = test.PGreater < options.Alpha && test.Effect >= options.LatencyEffectFloor;
        var material = regression > gates.MaxP95RegressionPercent && canary.P95Ms - stable.P95Ms >= options.LatencyAbsoluteFloorMs;
        var text = Invariant(
            $"p95 canary {canary.P95Ms:0.##} ms vs stable {stable.P95Ms:0.##} ms ({regression:+0.#;-0.#;0}%, threshold ≤ {gates.MaxP95RegressionPercent:0.#}% and ≥ {options.LatencyAbsoluteFloorMs:0.#} ms); Mann-Whitney U one-sided p={test.PGreater:0.####}, effect {test.Effect:0.###} (floor {options.LatencyEffectFloor}); {sizes}");
        var verdict = material
            ? (shifted ? Verdict.Fail : Verdict.Inconclusive)
            : Verdict.Pass;
        return new Finding("p95 latency", verdict, text);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
