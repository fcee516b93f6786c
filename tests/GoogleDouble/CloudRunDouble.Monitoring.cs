using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// Cloud Monitoring in the double: a simulated constant load spread over each service's revisions by its
/// current traffic split (as Cloud Run's router would), recorded per revision, status class and latency,
/// and answered through <c>timeSeries.list</c> the way Cloud Run's metrics are shaped.
/// </summary>
public sealed partial class CloudRunDouble
{
    // Cloud Run's request_latencies buckets: exponential, 100 finite buckets from 1 ms growing by 1.4×.
    private const int FiniteBuckets = 100;
    private const double Growth = 1.4;
    private readonly ConcurrentQueue<(DateTimeOffset At, string Service, string Revision, bool Failed, double LatencyMs, int Count)> _requests = new();
    private readonly CancellationTokenSource _load = new();

    /// <summary>How each revision answers the simulated load: its 5xx share (0..1) and latency.</summary>
    public ConcurrentDictionary<string, (double ErrorRate, double LatencyMs)> RevisionBehaviour { get; } = new(StringComparer.Ordinal);

    /// <summary>Sends <paramref name="perTick"/> requests every 20 ms to the service, split by its traffic.</summary>
    public void SimulateLoad(string serviceName, int perTick)
    {
        _ = Task.Run(async () =>
        {
            // Fractions of a failed request carry over, so a 5% error rate shows at any traffic share.
            var owed = new Dictionary<string, double>(StringComparer.Ordinal);
            while (!_load.IsCancellationRequested)
            {
                var service = _services[serviceName];
                foreach (var target in service["trafficStatuses"]?.AsArray() ?? [])
                {
                    var revision = target!["revision"]!.GetValue<string>();
                    var n = perTick * target["percent"]!.GetValue<int>() / 100;
                    var (rate, latency) = RevisionBehaviour.GetValueOrDefault(revision, (0, 4));
                    owed[revision] = owed.GetValueOrDefault(revision) + (n * rate);
                    var failed = (int)Math.Min(n, Math.Floor(owed[revision]));
                    owed[revision] -= failed;
                    _requests.Enqueue((TimeProvider.System.GetUtcNow(), serviceName.Split('/')[^1], revision, false, latency, n - failed));
                    _requests.Enqueue((TimeProvider.System.GetUtcNow(), serviceName.Split('/')[^1], revision, true, latency, failed));
                }

                try
                {
                    await Task.Delay(20, _load.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    private JsonObject TimeSeries(HttpRequest request)
    {
        var filter = request.Query["filter"].ToString();
        var service = Regex.Match(filter, "resource.labels.service_name=\"([^\"]+)\"").Groups[1].Value;
        var from = DateTimeOffset.Parse(request.Query["interval.startTime"].ToString(), CultureInfo.InvariantCulture);
        var to = DateTimeOffset.Parse(request.Query["interval.endTime"].ToString(), CultureInfo.InvariantCulture);
        var byClass = request.Query["aggregation.groupByFields"].Contains("metric.labels.response_code_class");
        var rows = _requests.Where(r => r.Service == service && r.At > from && r.At <= to && r.Count > 0).ToList();
        var interval = new JsonObject { ["startTime"] = request.Query["interval.startTime"].ToString(), ["endTime"] = request.Query["interval.endTime"].ToString() };
        var series = new JsonArray();
        if (filter.Contains("run.googleapis.com/request_count", StringComparison.Ordinal))
        {
            foreach (var group in rows.GroupBy(r => (r.Revision, Class: r.Failed ? "5xx" : "2xx")).Where(_ => byClass))
            {
                series.Add(Series("run.googleapis.com/request_count", new JsonObject { ["response_code_class"] = group.Key.Class }, service, group.Key.Revision, "INT64",
                    new JsonObject { ["int64Value"] = group.Sum(r => (long)r.Count).ToString(CultureInfo.InvariantCulture) }, interval));
            }
        }
        else
        {
            foreach (var group in rows.GroupBy(r => r.Revision))
            {
                var counts = new long[FiniteBuckets + 2];
                foreach (var row in group)
                {
                    counts[Bucket(row.LatencyMs)] += row.Count;
                }

                var last = Array.FindLastIndex(counts, c => c > 0);
                series.Add(Series("run.googleapis.com/request_latencies", [], service, group.Key, "DISTRIBUTION", new JsonObject
                {
                    ["distributionValue"] = new JsonObject
                    {
                        ["count"] = group.Sum(r => (long)r.Count).ToString(CultureInfo.InvariantCulture),
                        ["mean"] = group.Average(r => r.LatencyMs),
                        ["bucketOptions"] = new JsonObject { ["exponentialBuckets"] = new JsonObject { ["numFiniteBuckets"] = FiniteBuckets, ["growthFactor"] = Growth, ["scale"] = 1.0 } },
                        ["bucketCounts"] = new JsonArray([.. counts.Take(last + 1).Select(c => (JsonNode)c.ToString(CultureInfo.InvariantCulture))]),
                    },
                }, interval));
            }
        }

        return new JsonObject { ["timeSeries"] = series };
    }

    private static int Bucket(double ms)
    {
        if (ms < 1)
        {
            return 0;
        }

        var i = (int)Math.Floor(Math.Log(ms) / Math.Log(Growth)) + 1;
        return Math.Min(i, FiniteBuckets + 1);
    }

    private static JsonObject Series(string metric, JsonObject metricLabels, string service, string revision, string valueType, JsonObject value, JsonObject interval) => new()
    {
        ["metric"] = new JsonObject { ["type"] = metric, ["labels"] = metricLabels },
        ["resource"] = new JsonObject
        {
            ["type"] = "cloud_run_revision",
            ["labels"] = new JsonObject { ["service_name"] = service, ["revision_name"] = revision, ["location"] = "us-central1", ["project_id"] = "openagentsgemini" },
        },
        ["metricKind"] = "DELTA",
        ["valueType"] = valueType,
        ["points"] = new JsonArray(new JsonObject { ["interval"] = interval.DeepClone(), ["value"] = value }),
    };
}
