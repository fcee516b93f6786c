using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>What a revision's load looks like at one second: for <see cref="CloudRunDouble.Behaviour"/>.</summary>
/// <param name="Percent">The revision's share of the service's traffic at that second.</param>
/// <param name="Since">When the revision's share became <paramref name="Percent"/>.</param>
public sealed record LoadMoment(string Revision, DateTimeOffset At, int Percent, DateTimeOffset Since);

/// <summary>
/// Cloud Monitoring in the double, as it shows Cloud Run's request metrics: a simulated constant load,
/// spread each second over the service's revisions by the traffic it routed at that second (as Cloud
/// Run's router would), summed into 60 s samples that become visible <see cref="MetricsDelay"/> after
/// they end, and answered through <c>timeSeries.list</c> aligned over whole periods. All on
/// <see cref="Clock"/>, so a fake clock gives the same figures every run.
/// </summary>
/// <remarks>
/// Sources: "Sampled every 60 seconds. After sampling, data is not visible for up to 180 seconds"
/// (run.googleapis.com/request_count and request_latencies, cloud.google.com/monitoring/api/metrics_gcp);
/// <c>Aggregation.alignmentPeriod</c> "must be at least 60 seconds" and is required with any aligner but
/// ALIGN_NONE, and each aligned point covers (end − period, end] (google/monitoring/v3/common.proto).
/// </remarks>
public sealed partial class CloudRunDouble
{
    /// <summary>Cloud Run's sampling period for request metrics.</summary>
    public static readonly TimeSpan MetricsPeriod = TimeSpan.FromSeconds(60);

    // Cloud Run's request_latencies buckets: exponential, 100 finite buckets from 1 ms growing by 1.4×.
    private const int FiniteBuckets = 100;
    private const double Growth = 1.4;
    private readonly Lock _metrics = new();
    private readonly Dictionary<string, List<(DateTimeOffset At, (string Revision, int Percent)[] Split)>> _routing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Load> _loads = new(StringComparer.Ordinal);

    /// <summary>The clock the load, the samples and their visibility run on (default: the system's).</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <value>The default is 150 s: a sample is visible this long after its period ends (Cloud Run's metrics say up to 180 s).</value>
    public TimeSpan MetricsDelay { get; set; } = TimeSpan.FromSeconds(150);

    /// <summary>How each revision answers the simulated load: its 5xx share (0..1) and latency; default (0, 4 ms).</summary>
    public ConcurrentDictionary<string, (double ErrorRate, double LatencyMs)> RevisionBehaviour { get; } = new(StringComparer.Ordinal);

    /// <summary>How a revision answers at a given second, before <see cref="RevisionBehaviour"/> (null: ask it).</summary>
    public Func<LoadMoment, (double ErrorRate, double LatencyMs)?>? Behaviour { get; set; }

    /// <summary>Every <c>timeSeries.list</c> asked: when (on <see cref="Clock"/>), its interval and its alignment period.</summary>
    public ConcurrentQueue<(DateTimeOffset At, DateTimeOffset From, DateTimeOffset To, TimeSpan Alignment)> MetricsQueries { get; } = new();

    /// <summary>Sends <paramref name="perSecond"/> requests each second (on <see cref="Clock"/>) from now on, split by the service's traffic.</summary>
    public void SimulateLoad(string serviceName, int perSecond)
    {
        lock (_metrics)
        {
            var now = Clock.GetUtcNow();
            RunLoads(now);
            if (_loads.TryGetValue(serviceName, out var running))
            {
                running.PerSecond = perSecond;
            }
            else
            {
                _loads[serviceName] = new Load(perSecond, Floor(now, TimeSpan.FromSeconds(1)));
            }
        }
    }

    /// <summary>Notes the service's routing as it now stands, LATEST resolved to the latest ready revision (as Cloud Run's router serves it).</summary>
    private void RecordRouting(string name, JsonObject service)
    {
        var latest = service["latestReadyRevision"]?.GetValue<string>().Split('/')[^1];
        var split = (service["trafficStatuses"]?.AsArray() ?? []).Select(t => (Revision: t!["revision"]?.GetValue<string>() ?? latest ?? "", Percent: t["percent"]?.GetValue<int>() ?? 0))
            .Where(t => t.Percent > 0).ToArray();
        lock (_metrics)
        {
            RunLoads(Clock.GetUtcNow());
            var history = _routing.TryGetValue(name, out var found) ? found : _routing[name] = [];
            history.Add((Clock.GetUtcNow(), split));
        }
    }

    private JsonObject TimeSeries(HttpRequest request, out string? invalid)
    {
        invalid = null;
        var filter = request.Query["filter"].ToString();
        var service = Regex.Match(filter, "resource.labels.service_name=\"([^\"]+)\"").Groups[1].Value;
        var from = DateTimeOffset.Parse(request.Query["interval.startTime"].ToString(), CultureInfo.InvariantCulture);
        var to = DateTimeOffset.Parse(request.Query["interval.endTime"].ToString(), CultureInfo.InvariantCulture);
        var aligner = request.Query["aggregation.perSeriesAligner"].ToString();
        var period = Regex.Match(request.Query["aggregation.alignmentPeriod"].ToString(), "^([0-9]+)s$") is { Success: true } m
            ? TimeSpan.FromSeconds(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)) : (TimeSpan?)null;
        if (aligner is not ("" or "ALIGN_NONE") && (period is null || period < MetricsPeriod))
        {
            invalid = $"The alignment period must be at least 60 seconds; got '{request.Query["aggregation.alignmentPeriod"]}'.";
            return [];
        }

        var now = Clock.GetUtcNow();
        MetricsQueries.Enqueue((now, from, to, period ?? TimeSpan.Zero));
        var byClass = request.Query["aggregation.groupByFields"].Contains("metric.labels.response_code_class");
        var requestCount = filter.Contains("run.googleapis.com/request_count", StringComparison.Ordinal);
        var series = new JsonArray();
        foreach (var (revision, points) in AlignedPoints(service, from, to, period ?? (to - from), now))
        {
            if (requestCount)
            {
                foreach (var (cls, pick) in new (string, Func<Sample, long>)[] { ("2xx", s => s.Requests - s.Failed), ("5xx", s => s.Failed) }.Where(_ => byClass))
                {
                    var values = points.Where(p => pick(p.Sample) > 0).ToList();
                    if (values.Count > 0)
                    {
                        series.Add(Series("run.googleapis.com/request_count", new JsonObject { ["response_code_class"] = cls }, service, revision, "INT64",
                            [.. values.Select(p => Point(p.End, p.Period, new JsonObject { ["int64Value"] = pick(p.Sample).ToString(CultureInfo.InvariantCulture) }))]));
                    }
                }
            }
            else
            {
                series.Add(Series("run.googleapis.com/request_latencies", [], service, revision, "DISTRIBUTION",
                    [.. points.Select(p => Point(p.End, p.Period, Distribution(p.Sample)))]));
            }
        }

        return new JsonObject { ["timeSeries"] = series };
    }

    /// <summary>
    /// Aligned points per revision, newest first: each sums the visible 60 s samples whose end lies in
    /// (end − period, end], for ends at <paramref name="to"/>, to − period, … while inside the interval.
    /// </summary>
    private List<(string Revision, List<(DateTimeOffset End, TimeSpan Period, Sample Sample)> Points)> AlignedPoints(string service, DateTimeOffset from, DateTimeOffset to, TimeSpan period, DateTimeOffset now)
    {
        var result = new Dictionary<string, List<(DateTimeOffset, TimeSpan, Sample)>>(StringComparer.Ordinal);
        lock (_metrics)
        {
            RunLoads(now);
            var samples = _loads.Where(l => l.Key.Split('/')[^1] == service).SelectMany(l => l.Value.Samples)
                .Where(s => s.Key <= now - MetricsDelay && s.Key > from && s.Key <= to).ToList();
            for (var end = to; end > from; end -= period)
            {
                var inPoint = samples.Where(s => s.Key > end - period && s.Key <= end).SelectMany(s => s.Value);
                foreach (var group in inPoint.GroupBy(r => r.Key, StringComparer.Ordinal))
                {
                    var sum = group.Aggregate(new Sample(), (acc, r) => acc.Add(r.Value));
                    var list = result.TryGetValue(group.Key, out var found) ? found : result[group.Key] = [];
                    list.Add((end, period, sum));
                }
            }
        }

        return [.. result.Select(r => (r.Key, r.Value))];
    }

    /// <summary>Runs every load up to <paramref name="now"/>, second by second, into the 60 s samples the seconds belong to.</summary>
    private void RunLoads(DateTimeOffset now)
    {
        foreach (var (name, load) in _loads)
        {
            var history = _routing.GetValueOrDefault(name) ?? [];
            for (; load.Next + TimeSpan.FromSeconds(1) <= now; load.Next += TimeSpan.FromSeconds(1))
            {
                var at = load.Next;
                var routed = history.LastOrDefault(h => h.At <= at);
                var sampleEnd = Floor(at, MetricsPeriod) + MetricsPeriod;
                var sample = load.Samples.TryGetValue(sampleEnd, out var found) ? found : load.Samples[sampleEnd] = new Dictionary<string, Sample>(StringComparer.Ordinal);
                foreach (var (revision, percent) in routed.Split ?? [])
                {
                    var since = history.Where(h => h.At <= at).Reverse().TakeWhile(h => h.Split.Any(s => s.Revision == revision && s.Percent == percent)).LastOrDefault().At;
                    var (rate, latency) = Behaviour?.Invoke(new LoadMoment(revision, at, percent, since)) ?? RevisionBehaviour.GetValueOrDefault(revision, (0, 4));
                    // Fractions carry over to the next second, so any share and any error rate show exactly.
                    var owed = load.Owed.GetValueOrDefault(revision);
                    owed.Requests += load.PerSecond * percent / 100.0;
                    var n = (long)Math.Floor(owed.Requests);
                    owed.Requests -= n;
                    owed.Failed += n * rate;
                    var failed = Math.Min(n, (long)Math.Floor(owed.Failed));
                    owed.Failed -= failed;
                    load.Owed[revision] = owed;
                    sample[revision] = (sample.GetValueOrDefault(revision) ?? new Sample()).Add(Sample.Of(n, failed, latency));
                }
            }
        }
    }

    private static DateTimeOffset Floor(DateTimeOffset at, TimeSpan period) => new(at.UtcTicks - (at.UtcTicks % period.Ticks), TimeSpan.Zero);

    private static int Bucket(double ms)
    {
        if (ms < 1)
        {
            return 0;
        }

        var i = (int)Math.Floor(Math.Log(ms) / Math.Log(Growth)) + 1;
        return Math.Min(i, FiniteBuckets + 1);
    }

    private static JsonObject Distribution(Sample sample)
    {
        var last = Array.FindLastIndex(sample.Histogram, c => c > 0);
        return new JsonObject
        {
            ["distributionValue"] = new JsonObject
            {
                ["count"] = sample.Requests.ToString(CultureInfo.InvariantCulture),
                ["mean"] = sample.Requests == 0 ? 0 : sample.LatencySumMs / sample.Requests,
                ["bucketOptions"] = new JsonObject { ["exponentialBuckets"] = new JsonObject { ["numFiniteBuckets"] = FiniteBuckets, ["growthFactor"] = Growth, ["scale"] = 1.0 } },
                ["bucketCounts"] = new JsonArray([.. sample.Histogram.Take(last + 1).Select(c => (JsonNode)c.ToString(CultureInfo.InvariantCulture))]),
            },
        };
    }

    private static JsonObject Point(DateTimeOffset end, TimeSpan period, JsonObject value) => new()
    {
        ["interval"] = new JsonObject { ["startTime"] = Stamp(end - period), ["endTime"] = Stamp(end) },
        ["value"] = value,
    };

    private static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Series(string metric, JsonObject metricLabels, string service, string revision, string valueType, JsonArray points) => new()
    {
        ["metric"] = new JsonObject { ["type"] = metric, ["labels"] = metricLabels },
        ["resource"] = new JsonObject
        {
            ["type"] = "cloud_run_revision",
            ["labels"] = new JsonObject { ["service_name"] = service, ["revision_name"] = revision, ["location"] = "us-central1", ["project_id"] = "openagentsgemini" },
        },
        ["metricKind"] = "DELTA",
        ["valueType"] = valueType,
        ["points"] = points,
    };

    /// <summary>One service's load: its rate, the next second to run, fractions owed per revision and the 60 s samples by their end.</summary>
    private sealed class Load(int perSecond, DateTimeOffset start)
    {
        public int PerSecond { get; set; } = perSecond;

        public DateTimeOffset Next { get; set; } = start;

        public Dictionary<string, (double Requests, double Failed)> Owed { get; } = new(StringComparer.Ordinal);

        public SortedDictionary<DateTimeOffset, Dictionary<string, Sample>> Samples { get; } = [];
    }

    /// <summary>Requests, failures and the latency histogram of one revision over some seconds.</summary>
    private sealed record Sample
    {
        public long Requests { get; init; }

        public long Failed { get; init; }

        public double LatencySumMs { get; init; }

        public long[] Histogram { get; init; } = new long[FiniteBuckets + 2];

        public static Sample Of(long requests, long failed, double latencyMs)
        {
            var histogram = new long[FiniteBuckets + 2];
            histogram[Bucket(latencyMs)] = requests;
            return new Sample { Requests = requests, Failed = failed, LatencySumMs = requests * latencyMs, Histogram = histogram };
        }

        public Sample Add(Sample other) => new()
        {
            Requests = Requests + other.Requests,
            Failed = Failed + other.Failed,
            LatencySumMs = LatencySumMs + other.LatencySumMs,
            Histogram = [.. Histogram.Zip(other.Histogram, (a, b) => a + b)],
        };
    }
}
