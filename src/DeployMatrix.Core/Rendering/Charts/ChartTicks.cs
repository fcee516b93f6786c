using System.Globalization;

namespace DeployMatrix.Core.Rendering.Charts;

/// <summary>Tick positions and labels people read at a glance: round steps, never more than fit.</summary>
internal static class ChartTicks
{
    // Steps a reader counts in: tenths of a second, then 1/2/5/10/15/30 s, the same in minutes, then hours.
    private static readonly double[] TimeSteps =
        [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

    private static readonly int[] Multiples = [1, 2, 5, 10];

    /// <summary>
    /// The time step for a span so that at most <paramref name="maxTicks"/> ticks (counting zero) fit: the
    /// smallest of 0.1/0.2/0.5/1/2/5/10/15/30 s, 1/2/5/10/15/30 min, 1/2/3/6/12/24 h that does; whole days above.
    /// </summary>
    public static TimeSpan TimeStep(TimeSpan span, int maxTicks)
    {
        var seconds = Math.Max(span.TotalSeconds, 0.1);
        var intervals = Math.Max(1, maxTicks - 1);
        foreach (var step in TimeSteps)
        {
            if (seconds / step <= intervals)
            {
                return TimeSpan.FromSeconds(step);
            }
        }

        return TimeSpan.FromDays(Math.Ceiling(seconds / 86400 / intervals));
    }

    /// <summary>Ticks from zero to the span's end at the step, inclusive of zero.</summary>
    public static IReadOnlyList<TimeSpan> TimeTicks(TimeSpan span, TimeSpan step)
    {
        var ticks = new List<TimeSpan>();
        for (var i = 0; ; i++)
        {
            // Multiplying, not adding, so tenths of a second do not drift.
            var t = TimeSpan.FromTicks(step.Ticks * i);
            if (t > span)
            {
                return ticks;
            }

            ticks.Add(t);
        }
    }

    /// <summary>"+0s", "+0.5s", "+30s", "+1m", "+1m30s", "+1h", "+1h15m".</summary>
    public static string Relative(TimeSpan at)
    {
        if (at < TimeSpan.FromMinutes(1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"+{Math.Round(at.TotalSeconds, 1):0.#}s");
        }

        var whole = TimeSpan.FromSeconds(Math.Round(at.TotalSeconds));
        var hours = (int)whole.TotalHours;
        return hours > 0
            ? string.Create(CultureInfo.InvariantCulture, $"+{hours}h{(whole.Minutes > 0 ? $"{whole.Minutes}m" : "")}")
            : string.Create(CultureInfo.InvariantCulture, $"+{whole.Minutes}m{(whole.Seconds > 0 ? $"{whole.Seconds}s" : "")}");
    }

    /// <summary>UTC wall-clock time of a tick: HH:mm when the step is whole minutes, else HH:mm:ss.</summary>
    public static string Clock(DateTimeOffset start, TimeSpan at, TimeSpan step) =>
        (start + at).UtcDateTime.ToString(step.TotalSeconds % 60 == 0 ? "HH:mm" : "HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// Round ticks from zero up to at least <paramref name="max"/>: a step of 1, 2 or 5 × 10ⁿ so that at most
    /// <paramref name="maxTicks"/> ticks (counting zero) fit; the last tick is the axis's top. A max of zero or
    /// less (nothing measured) gives the ticks 0 and 1.
    /// </summary>
    public static IReadOnlyList<double> ValueTicks(double max, int maxTicks)
    {
        if (!(max > 0) || double.IsInfinity(max))
        {
            return [0, 1];
        }

        var intervals = Math.Max(1, maxTicks - 1);
        var raw = max / intervals;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = Multiples.Select(m => m * magnitude).First(s => s * intervals >= max * (1 - 1e-12));
        var count = (int)Math.Ceiling((max / step) - 1e-9);
        return [.. Enumerable.Range(0, count + 1).Select(i => Math.Round(i * step, 12))];
    }

    /// <summary>A tick's label with as many decimals as its step needs (0.5 → "0.5", 50 → "50").</summary>
    public static string Value(double value, double step)
    {
        var decimals = step <= 0 ? 0 : Math.Clamp(-(int)Math.Floor(Math.Log10(step) + 1e-9), 0, 6);
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
