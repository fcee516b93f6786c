using System.Globalization;
using DeployMatrix.Core.Analysis;

namespace DeployMatrix.CloudRun.Api;

/// <summary>
/// Cloud Run's request metrics per revision from Cloud Monitoring v3 (<c>timeSeries.list</c>):
/// <c>run.googleapis.com/request_count</c> by <c>response_code_class</c> and the
/// <c>run.googleapis.com/request_latencies</c> distribution, each summed over one interval.
/// </summary>
public sealed class MonitoringApi(GoogleHttp http, GoogleEndpoints endpoints)
{
    /// <summary>Requests, 5xx and the latency histogram of every revision of a service between two instants.</summary>
    public async Task<IReadOnlyDictionary<string, RevisionSample>> RevisionSamplesAsync(string project, string region, string service, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var where = $"resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"{service}\" AND resource.labels.location=\"{region}\"";
        var counts = await ListAsync(project, $"metric.type=\"run.googleapis.com/request_count\" AND {where}", from, to,
            ["resource.labels.revision_name", "metric.labels.response_code_class"], ct);
        var latencies = await ListAsync(project, $"metric.type=\"run.googleapis.com/request_latencies\" AND {where}", from, to,
            ["resource.labels.revision_name"], ct);

        var samples = new Dictionary<string, RevisionSample>(StringComparer.Ordinal);
        foreach (var series in counts)
        {
            var revision = series.Resource?.Labels?.GetValueOrDefault("revision_name") ?? "";
            var count = series.Points?.Sum(p => p.Value?.Int64Value ?? 0) ?? 0;
            var failed = series.Metric?.Labels?.GetValueOrDefault("response_code_class") == "5xx" ? count : 0;
            var current = samples.GetValueOrDefault(revision) ?? new RevisionSample(revision, 0, 0, [], [1]);
            samples[revision] = current with { Requests = current.Requests + count, Failed = current.Failed + failed };
        }

        foreach (var series in latencies)
        {
            var revision = series.Resource?.Labels?.GetValueOrDefault("revision_name") ?? "";
            if (!samples.TryGetValue(revision, out var sample))
            {
                continue;
            }

            // One point per aligned period: their histograms add up (Cloud Run's buckets are the same in each).
            foreach (var distribution in (series.Points ?? []).Select(p => p.Value?.DistributionValue).OfType<Distribution>())
            {
                var (bounds, histogram) = Buckets(distribution);
                long[] sum = sample.Histogram.Count == histogram.Length ? [.. histogram.Zip(sample.Histogram, (a, b) => a + b)] : histogram;
                sample = sample with { Histogram = sum, BucketBoundsMs = bounds };
            }

            samples[revision] = sample;
        }

        return samples;
    }

    /// <summary>One aligned sum per series over the whole interval (ALIGN_DELTA over a period as long as the interval, then REDUCE_SUM).</summary>
    private async Task<IReadOnlyList<TimeSeries>> ListAsync(string project, string filter, DateTimeOffset from, DateTimeOffset to, string[] groupBy, CancellationToken ct)
    {
        var seconds = Math.Max(60, (long)Math.Ceiling((to - from).TotalSeconds));
        var query = new List<string>
        {
            $"filter={Uri.EscapeDataString(filter)}",
            $"interval.startTime={Uri.EscapeDataString(from.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))}",
            $"interval.endTime={Uri.EscapeDataString(to.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))}",
            $"aggregation.alignmentPeriod={seconds}s",
            "aggregation.perSeriesAligner=ALIGN_DELTA",
            "aggregation.crossSeriesReducer=REDUCE_SUM",
        };
        query.AddRange(groupBy.Select(g => $"aggregation.groupByFields={Uri.EscapeDataString(g)}"));
        var series = new List<TimeSeries>();
        string? page = null;
        do
        {
            var url = new Uri(endpoints.Monitoring, $"v3/projects/{Uri.EscapeDataString(project)}/timeSeries?{string.Join('&', query)}{(page is null ? "" : $"&pageToken={Uri.EscapeDataString(page)}")}");
            var response = await http.GetAsync<ListTimeSeriesResponse>(url, ct);
            series.AddRange(response.TimeSeries ?? []);
            page = string.IsNullOrEmpty(response.NextPageToken) ? null : response.NextPageToken;
        }
        while (page is not null);

        return series;
    }

    /// <summary>Upper bounds in ms and counts: bucket 0 is underflow, the last is overflow (Cloud Monitoring's layout).</summary>
    private static (double[] Bounds, long[] Counts) Buckets(Distribution distribution)
    {
        double[] bounds;
        if (distribution.BucketOptions?.ExponentialBuckets is { } e)
        {
            bounds = [.. Enumerable.Range(0, e.NumFiniteBuckets + 1).Select(i => e.Scale * Math.Pow(e.GrowthFactor, i))];
        }
        else if (distribution.BucketOptions?.ExplicitBuckets is { } x)
        {
            bounds = [.. x.Bounds];
        }
        else if (distribution.BucketOptions?.LinearBuckets is { } l)
        {
            bounds = [.. Enumerable.Range(0, l.NumFiniteBuckets + 1).Select(i => l.Offset + (l.Width * i))];
        }
        else
        {
            bounds = [double.MaxValue];
        }

        // Trailing empty buckets may be left out of bucketCounts.
        var counts = new long[bounds.Length + 1];
        var given = distribution.BucketCounts ?? [];
        for (var i = 0; i < Math.Min(given.Count, counts.Length); i++)
        {
            counts[i] = given[i];
        }

        return (bounds, counts);
    }
}
