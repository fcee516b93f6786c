using System.Globalization;

namespace DeployMatrix.CloudRun.Api;

/// <summary>
/// Cloud Logging v2 <c>entries.list</c> (<c>POST https://logging.googleapis.com/v2/entries:list</c>, Google's REST
/// reference "Method: entries.list"): a Cloud Run service's entries at or above a severity since an instant, oldest
/// first, page by page (<see cref="CountAsync"/>); one page of a build's log, not retried (<see cref="ListOnceAsync"/>).
/// </summary>
public sealed class LoggingApi(GoogleHttp http, GoogleEndpoints endpoints)
{
    /// <value>Entries asked for per page; the default is 1000 (entries.list allows up to 1000).</value>
    public int PageSize { get; init; } = 1000;

    /// <value>Pages read at most before the count is reported as a lower bound; the default is 20.</value>
    public int MaxPages { get; init; } = 20;

    /// <summary>
    /// The Logging query language filter for the service's revisions in a region (Cloud Run's monitored resource
    /// <c>cloud_run_revision</c>), at or above <paramref name="severity"/>, stamped at or after <paramref name="since"/>.
    /// </summary>
    public static string Filter(string region, string service, string severity, DateTimeOffset since) =>
        $"resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"{service}\" AND resource.labels.location=\"{region}\" "
        + $"AND severity>={severity} AND timestamp>=\"{since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}\"";

    /// <summary>How many entries match the filter in <c>projects/PROJECT</c> and the first <paramref name="keep"/>, oldest first.</summary>
    /// <returns>The count, the first entries, and whether reading stopped at <see cref="MaxPages"/> (the count is then a lower bound).</returns>
    public async Task<(long Count, IReadOnlyList<LoggingEntry> First, bool Capped)> CountAsync(string project, string filter, int keep, CancellationToken ct)
    {
        long count = 0;
        var first = new List<LoggingEntry>();
        string? page = null;
        for (var pages = 0; pages < MaxPages; pages++)
        {
            var response = await http.SendAsync<ListLogEntriesResponse>(HttpMethod.Post, ListUrl, Request(project, filter, page), ct);
            var entries = response.Entries ?? [];
            count += entries.Count;
            first.AddRange(entries.Take(keep - first.Count));
            page = string.IsNullOrEmpty(response.NextPageToken) ? null : response.NextPageToken;
            if (page is null)
            {
                return (count, first, false);
            }
        }

        return (count, first, true);
    }

    /// <summary>
    /// One page of the entries matching <paramref name="filter"/> in <c>projects/PROJECT</c>, oldest first (entries
    /// with equal timestamps in order of their insertId, as entries.list orders them), asked once and not retried: the
    /// caller polls, and its next poll is the retry. <paramref name="pageToken"/> is the previous answer's
    /// <c>nextPageToken</c> for the same filter (entries.list: the other parameters must be identical).
    /// </summary>
    /// <exception cref="GoogleApiException">Cloud Logging refused the call (400 on a filter it cannot read, 429, 5xx).</exception>
    /// <exception cref="Engine.Platform.PlatformException">No answer.</exception>
    public Task<ListLogEntriesResponse> ListOnceAsync(string project, string filter, string? pageToken, CancellationToken ct) =>
        http.SendOnceAsync<ListLogEntriesResponse>(HttpMethod.Post, ListUrl, Request(project, filter, pageToken), ct);

    private Uri ListUrl => new(endpoints.Logging, "v2/entries:list");

    private ListLogEntriesRequest Request(string project, string filter, string? pageToken) => new()
    {
        ResourceNames = [$"projects/{project}"],
        Filter = filter,
        OrderBy = "timestamp asc",
        PageSize = PageSize,
        PageToken = pageToken,
    };
}
