namespace DeployMatrix.Core.Analysis;

/// <summary>Distribution helpers for the canary tests: the normal tail, log-binomials and exact tails.</summary>
public static class Statistics
{
    /// <summary>P(Z ≥ z) for a standard normal Z (Abramowitz &amp; Stegun 7.1.26 via erfc; error below 1.5e-7).</summary>
    public static double NormalUpperTail(double z) => 0.5 * Erfc(z / Math.Sqrt(2));

    public static double Erfc(double x)
    {
        var t = 1 / (1 + (0.3275911 * Math.Abs(x)));
        var poly = t * (0.254829592 + (t * (-0.284496736 + (t * (1.421413741 + (t * (-1.453152027 + (t * 1.061405429))))))));
        var erfc = poly * Math.Exp(-x * x);
        return x >= 0 ? erfc : 2 - erfc;
    }

    /// <summary>ln(n!) by summation for small n and Stirling's series beyond, exact to double precision for our sizes.</summary>
    public static double LogFactorial(long n)
    {
        // ln 0! = ln 1! = 0: the sum below is empty for them.
        if (n < 256)
        {
            var sum = 0.0;
            for (var i = 2; i <= n; i++)
            {
                sum += Math.Log(i);
            }

            return sum;
        }

        double x = n;
        return (x * Math.Log(x)) - x + (0.5 * Math.Log(2 * Math.PI * x)) + (1 / (12 * x)) - (1 / (360 * x * x * x));
    }

    public static double LogChoose(long n, long k) => LogFactorial(n) - LogFactorial(k) - LogFactorial(n - k);
}
