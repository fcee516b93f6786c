namespace DeployMatrix.Local.Proxy;

/// <summary>
/// Per-revision request counters kept by the proxy: requests, status classes and a latency histogram.
/// Lock-free (Interlocked) so recording costs nothing measurable on the request path.
/// </summary>
public sealed class RevisionMetrics
{
    // Histogram buckets: upper bounds in microseconds, roughly 10% apart from 100 µs to 60 s.
    private static readonly long[] Bounds = BuildBounds();
    private readonly long[] _buckets = new long[Bounds.Length + 1];
    private readonly long[] _classes = new long[6];
    private long _requests;
    private long _latencyMicrosTotal;

    public void Record(int status, TimeSpan latency)
    {
        Interlocked.Increment(ref _requests);
        var statusClass = status is >= 100 and < 600 ? status / 100 : 0;
        Interlocked.Increment(ref _classes[statusClass]);
        var micros = (long)latency.TotalMicroseconds;
        Interlocked.Add(ref _latencyMicrosTotal, micros);
        var index = Array.BinarySearch(Bounds, micros);
        Interlocked.Increment(ref _buckets[index >= 0 ? index : ~index]);
    }

    public MetricsSnapshot Snapshot()
    {
        var buckets = _buckets.Select(b => Interlocked.Read(ref b)).ToArray();
        var requests = Interlocked.Read(ref _requests);
        return new MetricsSnapshot(
            requests,
            Interlocked.Read(ref _classes[2]),
            Interlocked.Read(ref _classes[3]),
            Interlocked.Read(ref _classes[4]),
            Interlocked.Read(ref _classes[5]),
            Interlocked.Read(ref _classes[0]),
            requests == 0 ? 0 : Interlocked.Read(ref _latencyMicrosTotal) / 1000.0 / requests,
            Percentile(buckets, 0.50),
            Percentile(buckets, 0.95),
            Percentile(buckets, 0.99),
            buckets);
    }

    /// <summary>Upper bounds of the histogram buckets in milliseconds (the last bucket is unbounded).</summary>
    public static IReadOnlyList<double> BucketBoundsMs { get; } = [.. Bounds.Select(b => b / 1000.0)];

    private static double Percentile(long[] buckets, double q)
    {
        var total = buckets.Sum();
        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            seen += buckets[i];
            if (seen >= rank)
            {
                return i < Bounds.Length ? Bounds[i] / 1000.0 : Bounds[^1] / 1000.0;
            }
        }

        return Bounds[^1] / 1000.0;
    }

    private static long[] BuildBounds()
    {
        var bounds = new List<long>();
        for (double b = 100; b <= 60_000_000; b *= 1.1)
        {
            bounds.Add((long)b);
        }

        return [.. bounds];
    }
}

/// <summary>
/// A point-in-time copy of a revision's counters. Errors are requests the proxy could not deliver
/// (connection refused, timeouts); they count as 5xx for users. Latency percentiles are bucket upper bounds.
/// </summary>
public sealed record MetricsSnapshot(
    long Requests, long Status2xx, long Status3xx, long Status4xx, long Status5xx, long ProxyErrors,
    double MeanMs, double P50Ms, double P95Ms, double P99Ms, IReadOnlyList<long> Histogram)
{
    public long Failed => Status5xx + ProxyErrors;
}
