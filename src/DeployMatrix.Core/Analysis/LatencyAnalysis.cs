using System.Globalization;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Analysis;

/// <summary>
/// The latency gates of a window (<see cref="RolloutGates.LatencyGates"/>), each a finding: pass when its limit
/// holds; when it is broken materially, fail if a rank test confirms the canary is slower there, else
/// inconclusive (a percentile read from a few requests moves by chance).
/// </summary>
/// <remarks>
/// Material: a regression above its percent and at least <see cref="AnalysisOptions.LatencyAbsoluteFloorMs"/> slower
/// than stable; a ceiling's percentile above it. Confirmed, at <see cref="AnalysisOptions.Alpha"/>, by either rank
/// test: the Mann-Whitney U over all requests with its effect floor — a shift of the whole distribution, how the p95
/// gate has always been confirmed — or the quantile test at the gate's percentile (<see cref="QuantileTest"/>), a
/// shift of the slowest requests alone, which the U cannot see. A ceiling's quantile test counts requests over the
/// ceiling; a regression's, over the two revisions' pooled percentile. The U test is run once for all gates.
/// </remarks>
internal static class LatencyAnalysis
{
    public static IEnumerable<Finding> Judge(RevisionSample canary, RevisionSample stable, RolloutGates gates, AnalysisOptions options, string sizes)
    {
        var whole = MannWhitney.FromHistograms(canary.Histogram, stable.Histogram);
        var shifted = whole.PGreater < options.Alpha && whole.Effect >= options.LatencyEffectFloor;
        var rank = Invariant($"Mann-Whitney U one-sided p={whole.PGreater:0.####}, effect {whole.Effect:0.###} (floor {options.LatencyEffectFloor})");
        foreach (var gate in gates.LatencyGates)
        {
            yield return gate.Kind == LatencyLimit.Regression
                ? Regression(gate, canary, stable, options, shifted, rank, sizes)
                : Ceiling(gate, canary, stable, options, shifted, rank, sizes);
        }
    }

    private static Finding Regression(LatencyGate gate, RevisionSample canary, RevisionSample stable, AnalysisOptions options, bool shifted, string rank, string sizes)
    {
        var (c, s) = (canary.PercentileMs(gate.Percentile), stable.PercentileMs(gate.Percentile));
        var regression = s <= 0 ? 0 : ((c / s) - 1) * 100;
        var material = regression > gate.Limit && c - s >= options.LatencyAbsoluteFloorMs;
        var tail = QuantileTest.AtPooledPercentile(canary.Histogram, stable.Histogram, canary.BucketBoundsMs, gate.Percentile);
        var text = Invariant(
            $"p{gate.Percentile} canary {c:0.##} ms vs stable {s:0.##} ms ({regression:+0.#;-0.#;0}%, threshold ≤ {gate.Limit:0.#}% and ≥ {options.LatencyAbsoluteFloorMs:0.#} ms); {rank}; {Describe(tail)}; {sizes}");
        return new Finding($"p{gate.Percentile} latency", Judge(material, shifted || tail.P < options.Alpha), text);
    }

    private static Finding Ceiling(LatencyGate gate, RevisionSample canary, RevisionSample stable, AnalysisOptions options, bool shifted, string rank, string sizes)
    {
        var c = canary.PercentileMs(gate.Percentile);
        var tail = QuantileTest.Above(canary.Histogram, stable.Histogram, canary.BucketBoundsMs, gate.Limit);
        var text = Invariant(
            $"p{gate.Percentile} canary {c:0.##} ms vs ceiling ≤ {gate.Limit:0.##} ms (stable {stable.PercentileMs(gate.Percentile):0.##} ms); {Describe(tail)}; {rank}; {sizes}");
        return new Finding($"p{gate.Percentile} ceiling", Judge(c > gate.Limit, shifted || tail.P < options.Alpha), text);
    }

    private static Verdict Judge(bool material, bool confirmed) => material
        ? (confirmed ? Verdict.Fail : Verdict.Inconclusive)
        : Verdict.Pass;

    private static string Describe(QuantileTestResult tail) => Invariant(
        $"quantile test over {tail.OverMs:0.##} ms: canary {tail.CanaryOver}/{tail.CanaryTotal} vs stable {tail.StableOver}/{tail.StableTotal}, Fisher one-sided p={tail.P:0.####}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
