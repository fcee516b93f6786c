using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// A build's log as Cloud Build writes it to Cloud Logging (options.logging CLOUD_LOGGING_ONLY, STACKDRIVER_ONLY or
/// LEGACY): one LogEntry a line in the log <c>projects/PROJECT/logs/cloudbuild</c>, on the monitored resource
/// <c>build</c> (labels <c>project_id</c>, <c>build_id</c>, <c>build_trigger_id</c>), the line in
/// <c>textPayload</c>, its step in <c>labels.build_step</c>, stamped from the build's createTime on —
/// <see cref="BuildLogEntriesPerTimestamp"/> lines to a timestamp, told apart by insertId. The entries grow as the
/// build's log object does, a piece at each poll of its operation, and are whole when it ends. They are read through
/// entries.list (<see cref="ListLogEntries"/>), where reads of a build's log fail, hang and are recorded as reads of
/// its object are.
/// </summary>
public sealed partial class CloudRunDouble
{
    private readonly ConcurrentDictionary<string, BuildEntryLog> _buildEntryLogs = new(StringComparer.Ordinal);

    /// <value>How many consecutive lines of a build's log share a timestamp (lines written within one tick of the clock); the default is 2.</value>
    public int BuildLogEntriesPerTimestamp { get; set; } = 2;

    private sealed class BuildEntryLog(string project, string id, DateTimeOffset created, IReadOnlyList<string> lines, int pieces)
    {
        public string Project { get; } = project;

        public string Id { get; } = id;

        public DateTimeOffset Created { get; } = created;

        public List<string> Lines { get; } = [.. lines];

        public int Pieces { get; } = Math.Max(1, pieces);

        public int Piece { get; set; }

        public int Written { get; set; }

        public bool Running { get; set; } = true;
    }

    /// <summary>The lines of build <paramref name="id"/>'s log in Cloud Logging, written or not yet (all of them once it ended).</summary>
    public IReadOnlyList<string> BuildLogEntryLines(string id)
    {
        var log = _buildEntryLogs[id];
        lock (log)
        {
            return [.. log.Lines];
        }
    }

    /// <summary>A line of build <paramref name="buildId"/>'s log as Cloud Build writes it to Cloud Logging, stamped and identified as given.</summary>
    public void AddBuildLogEntry(string project, string buildId, DateTimeOffset timestamp, string insertId, string text)
    {
        var entry = new JsonObject
        {
            ["logName"] = $"projects/{project}/logs/cloudbuild",
            ["resource"] = new JsonObject
            {
                ["type"] = "build",
                ["labels"] = new JsonObject { ["project_id"] = project, ["build_id"] = buildId, ["build_trigger_id"] = "" },
            },
            ["timestamp"] = LogStamp(timestamp),
            ["receiveTimestamp"] = LogStamp(timestamp),
            ["severity"] = "INFO",
            ["insertId"] = insertId,
            ["textPayload"] = text,
        };
        if (StepOf().Match(text) is { Success: true } step)
        {
            entry["labels"] = new JsonObject { ["build_step"] = step.Groups[1].Value };
        }

        _logEntries.Enqueue((project, entry));
    }

    private void StartBuildLogEntries(JsonObject stored, IReadOnlyList<string> lines)
    {
        var created = DateTimeOffset.Parse(stored["createTime"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var id = stored["id"]!.GetValue<string>();
        _buildEntryLogs[id] = new BuildEntryLog(stored["projectId"]!.GetValue<string>(), id, created, lines, PollsPerOperation);
    }

    /// <summary>The build progressed: the next piece of its lines becomes entries (cut wherever the line count falls).</summary>
    private void AdvanceBuildLogEntries(string id)
    {
        if (!_buildEntryLogs.TryGetValue(id, out var log))
        {
            return;
        }

        lock (log)
        {
            if (log.Running)
            {
                log.Piece = Math.Min(log.Piece + 1, log.Pieces);
                WriteEntries(log, log.Lines.Count * log.Piece / (log.Pieces + 1));
            }
        }
    }

    /// <summary>The build ended: its remaining lines and <paramref name="end"/> become entries.</summary>
    private void EndBuildLogEntries(string id, IEnumerable<string> end)
    {
        if (!_buildEntryLogs.TryGetValue(id, out var log))
        {
            return;
        }

        lock (log)
        {
            log.Lines.AddRange(end);
            WriteEntries(log, log.Lines.Count);
            log.Running = false;
        }
    }

    private void WriteEntries(BuildEntryLog log, int upTo)
    {
        for (; log.Written < upTo; log.Written++)
        {
            var tick = log.Written / Math.Max(1, BuildLogEntriesPerTimestamp);
            // insertIds sort in the order the lines were written: entries.list orders equal timestamps by insertId.
            AddBuildLogEntry(log.Project, log.Id, log.Created.AddMilliseconds(tick), $"{log.Id[..8]}-{log.Written:D6}", log.Lines[log.Written]);
        }
    }

    /// <summary>
    /// A read of a build's log through entries.list (its filter names a build_id) that hangs or fails as told; else
    /// false, and the read is recorded when answered (<see cref="RecordBuildLogEntriesRead"/>).
    /// </summary>
    private async Task<bool> BuildLogEntriesFaultAsync(HttpContext context, JsonObject? body)
    {
        if (BuildIdInFilter(body) is not { } id)
        {
            return false;
        }

        var running = _buildEntryLogs.TryGetValue(id, out var log) && log.Running;
        if (await BuildLogHungAsync(context, running))
        {
            return true;
        }

        if (NextBuildLogFault() is not { } fault)
        {
            return false;
        }

        BuildLogReads.Enqueue(((int)fault, running));
        await ErrorAsync(context, fault, CanonicalStatus(fault), fault == HttpStatusCode.TooManyRequests
            ? "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'logging.googleapis.com'."
            : "The service is currently unavailable.");
        return true;
    }

    private void RecordBuildLogEntriesRead(JsonObject? body, int status)
    {
        if (BuildIdInFilter(body) is { } id)
        {
            BuildLogReads.Enqueue((status, _buildEntryLogs.TryGetValue(id, out var log) && log.Running));
        }
    }

    private static string? BuildIdInFilter(JsonObject? body) =>
        body?["filter"]?.GetValue<string>() is { } filter && BuildIdTerm().Match(filter) is { Success: true } match ? match.Groups[1].Value : null;

    /// <summary>The next fault for a read of a build's log: a one-shot one first, else the standing one.</summary>
    private HttpStatusCode? NextBuildLogFault() => BuildLogFaultsNext.TryDequeue(out var next) ? next : BuildLogFault;

    /// <summary>Waits <see cref="BuildLogHang"/> before the answer; true when the client gave up first (no answer is due).</summary>
    private async Task<bool> BuildLogHungAsync(HttpContext context, bool running)
    {
        if (BuildLogHang is not { } hang)
        {
            return false;
        }

        try
        {
            await Task.Delay(hang, context.RequestAborted);
            return false;
        }
        catch (OperationCanceledException)
        {
            BuildLogReads.Enqueue((0, running));
            return true;
        }
    }

    private static string LogStamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    [GeneratedRegex("resource\\.labels\\.build_id=\"([^\"]+)\"")]
    private static partial Regex BuildIdTerm();

    [GeneratedRegex(@"^(Step #\d+)(?: - ""[^""]*"")?:")]
    private static partial Regex StepOf();
}
