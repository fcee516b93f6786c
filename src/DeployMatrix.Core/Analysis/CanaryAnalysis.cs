using System.Globalization;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Analysis;

/// <summary>One revision's traffic in an analysis window: requests, failures (5xx and undeliverable) and a latency histogram.</summary>
/// <param name="Histogram">Request counts per latency bucket, ascending, with upper bounds in <see cref="BucketBoundsMs"/> (one more bucket for anything above).</param>
public sealed record RevisionSample(string Revision, long Requests, long Failed, IReadOnlyList<long> Histogram, IReadOnlyList<double> BucketBoundsMs)
{
    public double FailureRate => Requests == 0 ? 0 : Failed / (double)Requests;

    /// <summary>The 95th percentile as the upper bound of its bucket (ms).</summary>
    public double P95Ms => PercentileMs(95);

    /// <summary>A percentile (0..100) as the upper bound of the bucket that holds it (ms); the highest bound stands for the overflow bucket; 0 without latencies.</summary>
    public double PercentileMs(double percentile) => BucketOf(percentile) is { } i ? BucketBoundsMs[Math.Min(i, BucketBoundsMs.Count - 1)] : 0;

    /// <summary>The index of the bucket holding a percentile (0..100): where the ⌈p·n⌉-th fastest request falls; null without latencies.</summary>
    public int? BucketOf(double percentile) => Buckets.Holding(Histogram, percentile);
}

/// <summary>Where ranks fall in a latency histogram (counts per bucket, ascending).</summary>
public static class Buckets
{
    /// <summary>The index of the bucket holding a percentile (0..100): where the ⌈p·n⌉-th fastest request falls; null for an empty histogram.</summary>
    public static int? Holding(IReadOnlyList<long> histogram, double percentile)
    {
        var total = histogram.Sum();
        if (total == 0)
        {
            return null;
        }

        // p·n/100 rather than (p/100)·n: 95/100 is no exact binary fraction, and a product a hair over a whole
        // number would move the rank up by one.
        var rank = (long)Math.Ceiling(percentile * total / 100);
        long seen = 0;
        for (var i = 0; i < histogram.Count; i++)
        {
            seen += histogram[i];
            if (seen >= rank)
            {
                return i;
            }
        }

        return histogram.Count - 1;
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
    /// <value>
    /// The default is 0.05: the chance a stage may fail a canary that errs exactly as stable does, over every look
    /// at its window together (the looks inside it, its end and its extensions); also the level of the latency
    /// rank tests.
    /// </value>
    public double Alpha { get; init; } = 0.05;

    /// <value>The default is 0.6: a latency shift counts only when a canary request is slower than a stable one at least 60% of the time.</value>
    public double LatencyEffectFloor { get; init; } = 0.6;

    /// <value>
    /// The default is 5 ms: a percentile's regression smaller than this in absolute terms is not material, whatever
    /// its percentage (sub-millisecond services jitter by tens of percent between fresh and warm processes).
    /// </value>
    public double LatencyAbsoluteFloorMs { get; init; } = 5;

    /// <value>
    /// The default is 0.01: the part of <see cref="Alpha"/> spent by the sequential test on the looks inside a
    /// window (<see cref="SequentialErrorTest"/>: any number of looks, ever failing a canary that errs as stable does
    /// with a chance of at most this); the window's end gets the rest (<see cref="EndAlpha"/>). A fifth keeps most of
    /// the power for the end, where the whole window is in, and is still plenty for a canary that clearly errs: two
    /// failures of two at a 5% split are a likelihood ratio of 133.
    /// </value>
    public double EarlyAlpha { get; init; } = 0.01;

    /// <summary>The level of Fisher's exact test at a window's end: <see cref="Alpha"/> less <see cref="EarlyAlpha"/>, so that both together stay within <see cref="Alpha"/>.</summary>
    public double EndAlpha => Alpha - EarlyAlpha;

    /// <summary>
    /// Whether Fisher's test was already spent at an earlier end of this window (the window was then extended for
    /// latency): each later end judges errors by the sequential test, whose α covers any number of looks.
    /// </summary>
    public bool EndTestSpent { get; init; }
}

/// <summary>
/// Judges a canary against the stable revision over one window: the seed's gates (5xx rate, p95
/// regression), any other latency gates, and tests that compare the two populations. Too little traffic is
/// inconclusive, never a pass; every finding states the metric, both values, the threshold, the test and the
/// sample sizes.
/// </summary>
public static class CanaryAnalysis
{
    /// <summary>Judges a whole window (or a window and its extensions).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The options' <see cref="AnalysisOptions.EarlyAlpha"/> is not inside (0, <see cref="AnalysisOptions.Alpha"/>).</exception>
    public static AnalysisResult Analyze(RevisionSample canary, RevisionSample stable, RolloutGates gates, AnalysisOptions? options = null)
    {
        options = Checked(options);
        var findings = new List<Finding>();
        var sizes = Sizes(canary, stable);
        if (!Judgeable(canary, stable, gates))
        {
            findings.Add(new Finding("sample size", Verdict.Inconclusive,
                $"too few requests to judge ({sizes}; at least {gates.MinRequests} each are needed)"));
            return new AnalysisResult(Verdict.Inconclusive, findings);
        }

        findings.Add(ErrorRate(canary, stable, gates, sizes));
        findings.Add(options.EndTestSpent ? SequentialTest(canary, stable, options, sizes) : ErrorTest(canary, stable, options, sizes));
        findings.AddRange(LatencyAnalysis.Judge(canary, stable, gates, options, sizes));
        var verdict = findings.Max(f => f.Verdict);
        return new AnalysisResult(verdict, findings);
    }

    /// <summary>Whether both revisions have the minimum sample: less is inconclusive, and an end with less spends no test.</summary>
    public static bool Judgeable(RevisionSample canary, RevisionSample stable, RolloutGates gates) =>
        canary.Requests >= gates.MinRequests && stable.Requests >= gates.MinRequests;

    /// <summary>
    /// A look inside a running window, as often as the metrics allow: a failure when the canary's errors already
    /// break the 5xx gate and the sequential test (<see cref="SequentialErrorTest"/> at
    /// <see cref="AnalysisOptions.EarlyAlpha"/>), with the minimum sample; otherwise null and the window runs on.
    /// Only errors stop a window early — latency and passing wait for its end.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="Analyze"/>.</exception>
    public static AnalysisResult? EarlyFailure(RevisionSample canary, RevisionSample stable, RolloutGates gates, AnalysisOptions? options = null)
    {
        options = Checked(options);
        if (!Judgeable(canary, stable, gates))
        {
            return null;
        }

        var sizes = Sizes(canary, stable);
        var rate = ErrorRate(canary, stable, gates, sizes);
        var test = SequentialTest(canary, stable, options, sizes);
        return rate.Verdict == Verdict.Fail && test.Verdict == Verdict.Fail
            ? new AnalysisResult(Verdict.Fail, [rate, test with { Explanation = test.Explanation + "; the window stopped early" }])
            : null;
    }

    private static AnalysisOptions Checked(AnalysisOptions? options)
    {
        options ??= new AnalysisOptions();
        return options.EarlyAlpha > 0 && options.EarlyAlpha < options.Alpha
            ? options
            : throw new ArgumentOutOfRangeException(nameof(options), options.EarlyAlpha, $"the early α must be inside (0, {options.Alpha})");
    }

    private static string Sizes(RevisionSample canary, RevisionSample stable) => $"n canary={canary.Requests}, stable={stable.Requests}";

    private static Finding ErrorRate(RevisionSample canary, RevisionSample stable, RolloutGates gates, string sizes)
    {
        var rate = canary.FailureRate * 100;
        var text = Invariant($"canary {rate:0.###}% ({canary.Failed}/{canary.Requests}) vs stable {stable.FailureRate * 100:0.###}% ({stable.Failed}/{stable.Requests}); threshold < {gates.Max5xxRatePercent:0.###}%");
        return new Finding("5xx rate", rate >= gates.Max5xxRatePercent ? Verdict.Fail : Verdict.Pass, text);
    }

    private static Finding ErrorTest(RevisionSample canary, RevisionSample stable, AnalysisOptions options, string sizes)
    {
        var p = FisherExact.CanaryWorse(canary.Failed, canary.Requests, stable.Failed, stable.Requests);
        var worse = canary.FailureRate > stable.FailureRate && p < options.EndAlpha;
        var text = Invariant($"Fisher exact one-sided p={p:0.####} (α={options.EndAlpha:0.####}, {options.Alpha} less {options.EarlyAlpha} for the looks inside the window) for canary failures {canary.Failed}/{canary.Requests} above stable {stable.Failed}/{stable.Requests}; {sizes}");
        return new Finding("error count test", worse ? Verdict.Fail : Verdict.Pass, text);
    }

    private static Finding SequentialTest(RevisionSample canary, RevisionSample stable, AnalysisOptions options, string sizes)
    {
        var test = SequentialErrorTest.Test(canary.Failed, canary.Requests, stable.Failed, stable.Requests, options.EarlyAlpha);
        var text = Invariant(
            $"sequential probability ratio {Ratio(test.Evidence)} (fails at ≥ {test.Threshold:0.##} = 1/α, α={options.EarlyAlpha} over all looks) for {test.CanaryFailures} of the {test.Failures} failures on the canary, which has {test.CanaryShare * 100:0.##}% of the requests; {sizes}");
        return new Finding("error count test", test.CanaryWorse ? Verdict.Fail : Verdict.Pass, text);
    }

    /// <summary>133.33 as "133.33", 2.4e12 as "2.4E+12".</summary>
    private static string Ratio(double value) => value.ToString(value < 1e4 ? "0.##" : "0.##E+0", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
