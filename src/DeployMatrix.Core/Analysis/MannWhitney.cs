namespace DeployMatrix.Core.Analysis;

/// <summary>The Mann-Whitney U (Wilcoxon rank-sum) comparison of two samples.</summary>
/// <param name="U">U of the first sample: how often one of its values beats (exceeds) one of the second's, ties counting half.</param>
/// <param name="PGreater">One-sided p-value for "the first sample tends to be larger".</param>
/// <param name="PTwoSided">Two-sided p-value.</param>
/// <param name="Effect">Probability of superiority, U / (n1·n2): 0.5 means no shift.</param>
/// <param name="Exact">Whether p came from the exact distribution (small samples without ties) or the normal approximation.</param>
public sealed record MannWhitneyResult(double U, double PGreater, double PTwoSided, double Effect, bool Exact, long N1, long N2);

/// <summary>
/// Compares latency distributions by rank, as Kayenta does: robust to outliers and to the skew of
/// latencies. Exact p-values for small samples without ties; normal approximation with tie and
/// continuity correction otherwise. Works on raw samples or on histogram counts (a bucket is a tie).
/// </summary>
public static class MannWhitney
{
    private const int ExactLimit = 20;

    public static MannWhitneyResult Test(IReadOnlyList<double> first, IReadOnlyList<double> second)
    {
        var values = first.Select(v => (Value: v, First: true)).Concat(second.Select(v => (Value: v, First: false))).OrderBy(x => x.Value).ToList();
        var groups = new List<(long First, long Second)>();
        for (var i = 0; i < values.Count;)
        {
            var j = i;
            long a = 0, b = 0;
            while (j < values.Count && values[j].Value.Equals(values[i].Value))
            {
                if (values[j].First)
                {
                    a++;
                }
                else
                {
                    b++;
                }

                j++;
            }

            groups.Add((a, b));
            i = j;
        }

        var hasTies = groups.Any(g => g.First + g.Second > 1);
        return FromGroups(groups, allowExact: !hasTies);
    }

    /// <summary>From two histograms with the same buckets in ascending order; equal buckets are ties (so no exact p).</summary>
    /// <remarks>An empty bucket adds nothing to U or to the tie correction, so buckets are taken as they are.</remarks>
    public static MannWhitneyResult FromHistograms(IReadOnlyList<long> first, IReadOnlyList<long> second) =>
        FromGroups([.. first.Zip(second)], allowExact: false);

    private static MannWhitneyResult FromGroups(IReadOnlyList<(long First, long Second)> groups, bool allowExact)
    {
        long n1 = groups.Sum(g => g.First), n2 = groups.Sum(g => g.Second);
        if (n1 == 0 || n2 == 0)
        {
            return new MannWhitneyResult(0, 1, 1, 0.5, false, n1, n2);
        }

        // U1 = Σ over the first sample of (second-sample values below it) + ½·(ties).
        double u = 0;
        long secondBelow = 0;
        double tieTerm = 0;
        foreach (var (a, b) in groups)
        {
            u += (a * (double)secondBelow) + (0.5 * a * b);
            secondBelow += b;
            var t = (double)(a + b);
            tieTerm += (t * t * t) - t;
        }

        var effect = u / (n1 * (double)n2);
        if (allowExact && n1 <= ExactLimit && n2 <= ExactLimit)
        {
            var (greater, twoSided) = ExactP(u, n1, n2);
            return new MannWhitneyResult(u, greater, twoSided, effect, true, n1, n2);
        }

        var n = (double)(n1 + n2);
        var mean = n1 * (double)n2 / 2;
        var variance = n1 * (double)n2 / 12 * ((n + 1) - (tieTerm / (n * (n - 1))));
        if (variance <= 0)
        {
            return new MannWhitneyResult(u, 1, 1, effect, false, n1, n2);
        }

        var sd = Math.Sqrt(variance);
        var zGreater = (u - mean - 0.5) / sd;
        var zTwo = (Math.Abs(u - mean) - 0.5) / sd;
        return new MannWhitneyResult(u, Statistics.NormalUpperTail(zGreater), Math.Min(1, 2 * Statistics.NormalUpperTail(zTwo)), effect, false, n1, n2);
    }

    /// <summary>The exact null distribution of U by counting arrangements (dynamic programming over n1, n2).</summary>
    private static (double Greater, double TwoSided) ExactP(double u, long n1, long n2)
    {
        var max = (int)(n1 * n2);
        // counts[i, j][k]: arrangements of i first and j second values with U = k.
        var previous = new double[n2 + 1][];
        for (var j = 0; j <= n2; j++)
        {
            previous[j] = new double[max + 1];
            previous[j][0] = 1;
        }

        for (var i = 1; i <= n1; i++)
        {
            var current = new double[n2 + 1][];
            current[0] = new double[max + 1];
            current[0][0] = 1;
            for (var j = 1; j <= n2; j++)
            {
                current[j] = new double[max + 1];
                for (var k = 0; k <= max; k++)
                {
                    // The largest value belongs to the first sample (it beats all j second values) or to the second.
                    var fromFirst = k - j >= 0 ? previous[j][k - j] : 0;
                    current[j][k] = fromFirst + current[j - 1][k];
                }
            }

            previous = current;
        }

        var distribution = previous[n2];
        var total = distribution.Sum();
        var observed = (int)Math.Round(u);
        var greater = distribution.Skip(observed).Sum() / total;
        var mirrored = max - observed;
        var lowTail = distribution.Take(Math.Min(observed, mirrored) + 1).Sum() / total;
        return (greater, Math.Min(1, 2 * lowTail));
    }
}
