using DeployMatrix.Core.Analysis;

namespace DeployMatrix.Core.Tests.Analysis;

/// <summary>The canary statistics against published reference values.</summary>
public sealed class StatisticsTests
{
    [Fact]
    public void MannWhitney_CompletelySeparatedSamples_MatchTheExactTableValue()
    {
        // Five against five, no overlap: the two-sided exact p is 2 / C(10,5) = 2/252 (as scipy's exact method gives).
        var result = MannWhitney.Test([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);

        Assert.True(result.Exact);
        Assert.Equal(0, result.U);
        Assert.Equal(2.0 / 252, result.PTwoSided, 9);
        Assert.Equal(1, result.PGreater, 9);
        Assert.Equal(0, result.Effect);
    }

    [Fact]
    public void MannWhitney_FirstSampleLarger_HasTheOneSidedExactTail()
    {
        var result = MannWhitney.Test([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]);

        Assert.Equal(25, result.U);
        Assert.Equal(1.0 / 252, result.PGreater, 9);
        Assert.Equal(1, result.Effect);
    }

    [Fact]
    public void MannWhitney_UCountsPairsWonByTheFirstSample()
    {
        // Pairs where the first wins: 3>1, 3>2, 5>1, 5>2, 5>4 → U = 5 of 3·3 = 9; U1 + U2 = n1·n2.
        var first = MannWhitney.Test([3, 5, 0.5], [1, 2, 4]);
        var second = MannWhitney.Test([1, 2, 4], [3, 5, 0.5]);

        Assert.Equal(5, first.U);
        Assert.Equal(9, first.U + second.U);
    }

    [Fact]
    public void MannWhitney_NormalApproximation_AgreesWithTheExactDistribution()
    {
        var a = Enumerable.Range(0, 20).Select(i => (double)(i * 3)).ToArray();
        var b = Enumerable.Range(0, 20).Select(i => (i * 3) + 7.5).ToArray();
        var exact = MannWhitney.Test(a, b);
        var approximate = MannWhitney.Test([.. a, 1000], [.. b, 1001]);

        Assert.True(exact.Exact);
        Assert.False(approximate.Exact);
        Assert.InRange(Math.Abs(exact.PTwoSided - approximate.PTwoSided), 0, 0.05);
    }

    [Fact]
    public void MannWhitney_FromHistograms_TreatsABucketAsATie()
    {
        // Canary mostly one bucket slower than stable.
        var stable = new long[] { 0, 80, 20, 0 };
        var canary = new long[] { 0, 10, 70, 20 };

        var result = MannWhitney.FromHistograms(canary, stable);

        Assert.False(result.Exact);
        Assert.True(result.Effect > 0.8, $"effect {result.Effect}");
        Assert.True(result.PGreater < 1e-10, $"p {result.PGreater}");
    }

    [Fact]
    public void Fisher_TeaTastingTable_IsSeventeenSeventieths()
    {
        // Fisher's lady tasting tea: 3 of 4 right in one row, 1 of 4 in the other → one-sided p = 17/70.
        Assert.Equal(17.0 / 70, FisherExact.CanaryWorse(3, 4, 1, 4), 9);
    }

    [Fact]
    public void Fisher_NewErrorsAgainstAZeroErrorBaseline_AreSignificant()
    {
        // 5 of 100 canary requests fail, none of 1,900 stable ones: p = C(100,5) / C(2000,5).
        var expected = 100.0 * 99 * 98 * 97 * 96 / (2000.0 * 1999 * 1998 * 1997 * 1996);

        var p = FisherExact.CanaryWorse(5, 100, 0, 1900);

        Assert.Equal(expected, p, 12);
        Assert.True(p < 1e-6);
    }

    [Fact]
    public void Fisher_NoErrorsAnywhere_IsNoEvidence()
    {
        Assert.Equal(1, FisherExact.CanaryWorse(0, 100, 0, 1900));
    }

    [Theory]
    [InlineData(0, 0.5)]
    [InlineData(1.959963985, 0.025)]
    [InlineData(-1.644853627, 0.95)]
    public void NormalUpperTail_MatchesTheTable(double z, double expected)
    {
        Assert.Equal(expected, Statistics.NormalUpperTail(z), 6);
    }

    [Fact]
    public void LogFactorial_IsExactWhereCheckable_AndContinuousAtTheStirlingSwitch()
    {
        Assert.Equal(Math.Log(3628800), Statistics.LogFactorial(10), 9);
        var summed = Enumerable.Range(2, 255).Sum(i => Math.Log(i)); // ln(2·3·…·256)
        Assert.Equal(summed, Statistics.LogFactorial(256), 6);
        Assert.Equal(0, Statistics.LogFactorial(0));
        Assert.Equal(0, Statistics.LogFactorial(1));
    }

    [Fact]
    public void LogFactorial_PastTheSwitch_KeepsEveryTermOfStirlingsSeries()
    {
        // ln 300! summed term by term; dropping or flipping the 1/(360x³) term moves it by 2e-10.
        var summed = Enumerable.Range(2, 299).Sum(i => Math.Log(i));

        Assert.InRange(Statistics.LogFactorial(300) - summed, -2e-11, 2e-11);
    }

    [Fact]
    public void Erfc_AtZero_IsTheApproximationsOwnValue()
    {
        // A&S 7.1.26's polynomial at t=1 is 0.999999999; the other branch would give 1.000000001.
        Assert.InRange(Statistics.Erfc(0), 0.9999999989, 0.9999999991);
        Assert.InRange(Statistics.Erfc(-0.5) + Statistics.Erfc(0.5), 2 - 1e-9, 2 + 1e-9);
    }
}
