using System.Globalization;
using System.Text.Json;
using DeployMatrix.CloudRun.Api;
using DeployMatrix.Core.Text;

namespace DeployMatrix.CloudRun.Build;

/// <summary>
/// A build's log in Cloud Logging, for builds whose options.logging is <c>CLOUD_LOGGING_ONLY</c> or
/// <c>STACKDRIVER_ONLY</c> (Cloud Build's LoggingMode: "Build logs are stored in Cloud Logging"): each line is a
/// LogEntry of the log <c>projects/PROJECT/logs/cloudbuild</c> on the monitored resource <c>build</c> (labels
/// <c>project_id</c>, <c>build_id</c>, <c>build_trigger_id</c>), its text in <c>textPayload</c> and its step in
/// <c>labels.build_step</c> — the filter gcloud's own tailer uses (googlecloudsdk <c>GCLLogTailer</c>:
/// <c>logName="projects/P/logs/cloudbuild" AND resource.type="build" AND resource.labels.build_id="ID"</c>).
/// Read through entries.list (<see cref="LoggingApi.ListOnceAsync"/>), oldest first, every page of a read; each read
/// asks only from the newest timestamp already printed on (<c>timestamp&gt;=</c>, starting at the build's
/// <c>createTime</c>, as gcloud does "for faster querying"), and of the entries at that timestamp the ones already
/// printed are known by their insertId, so no line is printed twice. Lines print as gcloud prints them: the
/// <c>textPayload</c> (a structured entry's <c>jsonPayload.message</c>).
/// </summary>
/// <remarks>
/// Cloud Logging may make an entry visible a little after later ones (Cloud Build: "there may be delay between when
/// a build log is generated and when Logging receives it"); an entry that turns up older than the newest printed is
/// not printed (order holds; the log URL has the whole log).
/// </remarks>
public sealed class CloudLoggingLogSource(LoggingApi logging, string project, string buildId, DateTimeOffset? createTime, Action<string> line) : IBuildLogSource
{
    /// <value>2 s: what gcloud's tailer waits after the build ends for Cloud Logging to show its last lines (its buffer window).</value>
    public static readonly TimeSpan DefaultLastLinesLag = TimeSpan.FromSeconds(2);

    /// <value>Pages read at most in one read; the default is 20 (the next read goes on from where this one stopped).</value>
    public int MaxPagesPerRead { get; init; } = 20;

    /// <value>The default is <see cref="DefaultLastLinesLag"/> (2 s).</value>
    public TimeSpan LastLinesLag { get; init; } = DefaultLastLinesLag;

    private readonly HashSet<string> _printedAtCursor = new(StringComparer.Ordinal);
    private DateTimeOffset? _cursor = createTime;

    public string LogName => $"projects/{project}/logs/cloudbuild";

    public string Location => $"Cloud Logging {LogName} (build {buildId})";

    /// <summary>The filter of one read: the build's entries, stamped at or after the newest printed (or the build's creation).</summary>
    public string Filter => $"logName=\"{LogName}\" AND resource.type=\"build\" AND resource.labels.build_id=\"{buildId}\""
        + (_cursor is { } since ? $" AND timestamp>=\"{since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)}\"" : "");

    public async Task<string?> ReadAsync(CancellationToken ct)
    {
        // A page token belongs to the query it came from: the filter stays the one this read began with.
        var filter = Filter;
        string? page = null;
        for (var pages = 0; pages < MaxPagesPerRead; pages++)
        {
            ListLogEntriesResponse answer;
            try
            {
                answer = await logging.ListOnceAsync(project, filter, page, ct);
            }
            catch (GoogleApiException e)
            {
                return e.Message;
            }

            foreach (var entry in answer.Entries ?? [])
            {
                Take(entry);
            }

            page = string.IsNullOrEmpty(answer.NextPageToken) ? null : answer.NextPageToken;
            if (page is null)
            {
                break;
            }
        }

        return null;
    }

    /// <summary>Every entry is a whole line: nothing is held back.</summary>
    public void Flush()
    {
    }

    private void Take(LoggingEntry entry)
    {
        if (entry.Timestamp is { } stamp)
        {
            if (stamp < _cursor || (stamp == _cursor && entry.InsertId is { } seen && _printedAtCursor.Contains(seen)))
            {
                return;
            }

            if (stamp > _cursor || _cursor is null)
            {
                _cursor = stamp;
                _printedAtCursor.Clear();
            }

            if (entry.InsertId is { } id)
            {
                _printedAtCursor.Add(id);
            }
        }

        line(UntrustedText.OneLine(Text(entry).TrimEnd('\n', '\r')));
    }

    private static string Text(LoggingEntry entry) => entry switch
    {
        { TextPayload: { } text } => text,
        { JsonPayload: { ValueKind: JsonValueKind.Object } json } when json.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String => message.GetString()!,
        { JsonPayload: { } json } => json.GetRawText(),
        _ => "",
    };
}
