namespace DeployMatrix.Local.Proxy;

/// <summary>What kind of exchange an answer began: only <see cref="Sample"/> answers are latency samples.</summary>
public enum ExchangeKind
{
    /// <summary>A request answered once: its time to the response head is a latency sample.</summary>
    Sample,

    /// <summary>
    /// An answer that streams while the request still does (the response head came before the request body
    /// ended: client or bidirectional streaming), or an event stream: how long it lasts is up to the client.
    /// </summary>
    Streamed,

    /// <summary>A protocol switch (WebSocket, HTTP/2 extended CONNECT): a session, not a request.</summary>
    Upgraded,
}

/// <summary>
/// Per-revision request counters kept by the proxy: exchanges, status classes, and a latency histogram of
/// the time from the request to the response head — what the canary analysis compares. Streamed and upgraded
/// exchanges are counted, but never enter the latency sample. Lock-free (Interlocked).
/// </summary>
public sealed class RevisionMetrics
{
    // Histogram buckets: upper bounds in microseconds, roughly 10% apart from 100 µs to 60 s.
    private static readonly long[] Bounds = BuildBounds();
    private readonly long[] _buckets = new long[Bounds.Length + 1];
    private readonly long[] _classes = new long[6];
    private long _requests;
    private long _samples;
    private long _streamed;
    private long _upgraded;
    private long _timedOut;
    private long _latencyMicrosTotal;

    /// <summary>The revision's answer began: its status, and for a <see cref="ExchangeKind.Sample"/> the time to its head.</summary>
    public void RecordAnswer(int status, TimeSpan toHead, ExchangeKind kind)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _classes[status is >= 100 and < 600 ? status / 100 : 0]);
        switch (kind)
        {
            case ExchangeKind.Streamed:
                Interlocked.Increment(ref _streamed);
                return;
            case ExchangeKind.Upgraded:
                Interlocked.Increment(ref _upgraded);
                return;
        }

        var micros = (long)toHead.TotalMicroseconds;
        Interlocked.Increment(ref _samples);
        Interlocked.Add(ref _latencyMicrosTotal, micros);
        var index = Array.BinarySearch(Bounds, micros);
        Interlocked.Increment(ref _buckets[index >= 0 ? index : ~index]);
    }

    /// <summary>The proxy got no answer from the revision (refused, reset, or past the request timeout): a failed request for users.</summary>
    public void RecordFailure(bool timedOut)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _classes[0]);
        if (timedOut)
        {
            Interlocked.Increment(ref _timedOut);
        }
    }

    /// <summary>An answer that had begun was cut at the request timeout (already counted by its status).</summary>
    public void RecordCut() => Interlocked.Increment(ref _timedOut);

    /// <summary>Exchanges cut at the request timeout so far, answered or not.</summary>
    public long TimedOut => Interlocked.Read(ref _timedOut);

    public MetricsSnapshot Snapshot()
    {
        var buckets = _buckets.Select(b => Interlocked.Read(ref b)).ToArray();
        var samples = Interlocked.Read(ref _samples);
        return new MetricsSnapshot(
            Interlocked.Read(ref _requests),
            Interlocked.Read(ref _classes[2]),
            Interlocked.Read(ref _classes[3]),
            Interlocked.Read(ref _classes[4]),
            Interlocked.Read(ref _classes[5]),
            Interlocked.Read(ref _classes[0]),
            samples == 0 ? 0 : Interlocked.Read(ref _latencyMicrosTotal) / 1000.0 / samples,
            Percentile(buckets, 0.50),
            Percentile(buckets, 0.95),
            Percentile(buckets, 0.99),
            buckets)
        {
            Streamed = Interlocked.Read(ref _streamed),
            Upgraded = Interlocked.Read(ref _upgraded),
            TimedOut = Interlocked.Read(ref _timedOut),
        };
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
/// (connection refused, timeouts); they count as 5xx for users. Latency is the time to the response head
/// of <see cref="ExchangeKind.Sample"/> exchanges; its percentiles are bucket upper bounds.
/// </summary>
public sealed record MetricsSnapshot(
    long Requests, long Status2xx, long Status3xx, long Status4xx, long Status5xx, long ProxyErrors,
    double MeanMs, double P50Ms, double P95Ms, double P99Ms, IReadOnlyList<long> Histogram)
{
    public long Failed => Status5xx + ProxyErrors;

    /// <summary>Exchanges counted but kept out of the latency sample because they stream both ways (see <see cref="ExchangeKind.Streamed"/>).</summary>
    public long Streamed { get; init; }

    /// <summary>Upgraded sessions (WebSockets): counted, never latency samples.</summary>
    public long Upgraded { get; init; }

    /// <summary>Exchanges cut at the request timeout (504 when nothing had been answered).</summary>
    public long TimedOut { get; init; }
}
