namespace DeployMatrix.Core.Rendering.Charts;

/// <summary>A linear map from data values to SVG coordinates.</summary>
internal readonly record struct Scale(double Domain0, double Domain1, double Pixel0, double Pixel1)
{
    public double Map(double value)
    {
        var span = Domain1 - Domain0;
        var f = span == 0 ? 0 : (value - Domain0) / span;
        return Pixel0 + (Math.Clamp(f, 0, 1) * (Pixel1 - Pixel0));
    }
}

/// <summary>The lines a series is drawn with, as points in SVG coordinates.</summary>
internal static class ChartGeometry
{
    /// <summary>
    /// A step line: each value holds horizontally until the next point's time, then the line goes straight
    /// up or down to the new value; the last value holds to <paramref name="end"/>. Points are sorted by time;
    /// of several at one time the last wins. Every segment is horizontal or vertical.
    /// </summary>
    /// <param name="offset">Pixels added to every y, so equal values of two revisions (a 50/50 split) lie side by side.</param>
    public static IReadOnlyList<(double X, double Y)> StepPoints(IReadOnlyList<TimedValue> values, TimeSpan end, Scale x, Scale y, double offset = 0)
    {
        var sorted = Sorted(values);
        var points = new List<(double X, double Y)>();
        for (var i = 0; i < sorted.Count; i++)
        {
            var px = x.Map(Seconds(sorted[i].At));
            var py = y.Map(sorted[i].Value) + offset;
            if (points.Count > 0)
            {
                points.Add((px, points[^1].Y));
            }

            points.Add((px, py));
        }

        if (points.Count > 0)
        {
            points.Add((x.Map(Seconds(end)), points[^1].Y));
        }

        return Simplified(points);
    }

    /// <summary>Measurements joined point to point, in time order (of several at one time the last wins).</summary>
    public static IReadOnlyList<(double X, double Y)> LinePoints(IReadOnlyList<TimedValue> values, Scale x, Scale y) =>
        [.. Sorted(values).Select(v => (x.Map(Seconds(v.At)), y.Map(v.Value)))];

    private static double Seconds(TimeSpan at) => Math.Max(0, at.TotalSeconds);

    private static List<TimedValue> Sorted(IReadOnlyList<TimedValue> values) =>
        [.. values.Where(v => double.IsFinite(v.Value)).Select((v, i) => (v, i)).OrderBy(p => p.v.At).ThenBy(p => p.i)
            .GroupBy(p => p.v.At).Select(g => g.Last().v)];

    /// <summary>Drops points that repeat the previous one or lie inside a straight run, so the path holds only its corners.</summary>
    private static List<(double X, double Y)> Simplified(List<(double X, double Y)> points)
    {
        var result = new List<(double X, double Y)>();
        foreach (var p in points)
        {
            if (result.Count > 0 && Same(result[^1], p))
            {
                continue;
            }

            if (result.Count >= 2 && Collinear(result[^2], result[^1], p))
            {
                result[^1] = p;
                continue;
            }

            result.Add(p);
        }

        return result;
    }

    private static bool Same((double X, double Y) a, (double X, double Y) b) => Math.Abs(a.X - b.X) < 1e-6 && Math.Abs(a.Y - b.Y) < 1e-6;

    private static bool Collinear((double X, double Y) a, (double X, double Y) b, (double X, double Y) c) =>
        (Math.Abs(a.X - b.X) < 1e-6 && Math.Abs(b.X - c.X) < 1e-6) || (Math.Abs(a.Y - b.Y) < 1e-6 && Math.Abs(b.Y - c.Y) < 1e-6);
}
