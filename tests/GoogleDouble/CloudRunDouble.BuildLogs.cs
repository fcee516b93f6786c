using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// A build's log as Cloud Build writes it: the object <c>log-BUILD_ID.txt</c> in the build's <c>logsBucket</c>
/// (the default <c>gs://PROJECT_NUMBER.cloudbuild-logs.googleusercontent.com</c> when the build names none),
/// growing as the build progresses — a piece at each poll of its operation, cut at byte counts that do not
/// respect line ends — and complete when it ends; none when options.logging is Cloud Logging only or NONE.
/// Objects are read as Cloud Storage serves them (<c>objects.get</c>; with <c>alt=media</c> the bytes, and a
/// <c>Range</c> per RFC 9110 §14: 206 with <c>Content-Range</c>, 416 past the end, 404 before it exists).
/// </summary>
public sealed partial class CloudRunDouble
{
    /// <summary>The project number the double's builds belong to (its log URLs and default logs bucket).</summary>
    public const string ProjectNumber = "123456789012";

    private readonly ConcurrentDictionary<string, BuildLog> _buildLogs = new(StringComparer.Ordinal);

    /// <summary>When set, the lines a build's log holds while it works (else lines made from its steps, as Cloud Build writes them).</summary>
    public Func<JsonObject, IReadOnlyList<string>>? BuildLogLines { get; set; }

    /// <summary>When set, every read of a build's log (its object, or its entries in Cloud Logging) answers this status with the API's error body.</summary>
    public HttpStatusCode? BuildLogFault { get; set; }

    /// <summary>Statuses the next reads of a build's log answer, one each, before <see cref="BuildLogFault"/>.</summary>
    public ConcurrentQueue<HttpStatusCode> BuildLogFaultsNext { get; } = new();

    /// <summary>When set, a read of a build's log answers only after this long, or never if the client gives up first (status 0 in <see cref="BuildLogReads"/>).</summary>
    public TimeSpan? BuildLogHang { get; set; }

    /// <summary>Every read of a build's log (object or entries): the status answered (0: none, the client gave up), and whether the build was still running.</summary>
    public ConcurrentQueue<(int Status, bool Running)> BuildLogReads { get; } = new();

    /// <summary>When each build ended (its operation answered done), as <see cref="Stopwatch.GetTimestamp"/>.</summary>
    public ConcurrentDictionary<string, long> BuildEnds { get; } = new(StringComparer.Ordinal);

    /// <summary>The complete log of build <paramref name="id"/> (what it holds once the build ended).</summary>
    public string BuildLogText(string id) => Encoding.UTF8.GetString(_buildLogs[id].Content);

    /// <summary>Cloud Build's default logs bucket (<c>Build.logsBucket</c> when the build names none).</summary>
    public static string DefaultLogsBucket => $"gs://{ProjectNumber}.cloudbuild-logs.googleusercontent.com";

    private sealed class BuildLog(string key, byte[] content, int pieces)
    {
        public string Key { get; } = key;

        public byte[] Content { get; set; } = content;

        public int Pieces { get; } = Math.Max(1, pieces);

        public int Written { get; set; }

        public bool Running { get; set; } = true;
    }

    /// <summary>
    /// Sets the build's logsBucket and starts its log where its options.logging (LoggingMode) sends it: Cloud Storage
    /// (GCS_ONLY), Cloud Logging (CLOUD_LOGGING_ONLY, STACKDRIVER_ONLY), both (LEGACY, the default), or nowhere (NONE).
    /// </summary>
    private void StartBuildLog(JsonObject stored, JsonObject build, Dictionary<string, string> substitutions)
    {
        var bucket = build["logsBucket"]?.GetValue<string>() ?? DefaultLogsBucket;
        stored["logsBucket"] = bucket;
        var mode = build["options"]?["logging"]?.GetValue<string>();
        var lines = BuildLogLines?.Invoke(stored) ?? StepLines(stored, substitutions);
        if (mode is not ("NONE" or "GCS_ONLY"))
        {
            StartBuildLogEntries(stored, lines);
        }

        if (mode is "CLOUD_LOGGING_ONLY" or "STACKDRIVER_ONLY" or "NONE")
        {
            return;
        }

        var id = stored["id"]!.GetValue<string>();
        var location = bucket.StartsWith("gs://", StringComparison.Ordinal) ? bucket["gs://".Length..] : bucket;
        var key = location.Contains('/', StringComparison.Ordinal) ? $"{location.TrimEnd('/')}/log-{id}.txt" : $"{location}/log-{id}.txt";
        _buildLogs[id] = new BuildLog(key, Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n"))), PollsPerOperation);
    }

    /// <summary>The build progressed (its operation was polled): the next piece of its log is written.</summary>
    private void AdvanceBuildLog(string operation)
    {
        if (BuildIdOf(operation) is not { } id)
        {
            return;
        }

        AdvanceBuildLogEntries(id);
        if (!_buildLogs.TryGetValue(id, out var log) || !log.Running)
        {
            return;
        }

        lock (log)
        {
            log.Written = Math.Min(log.Written + 1, log.Pieces);
            Objects[log.Key] = log.Content[..(int)((long)log.Content.Length * log.Written / (log.Pieces + 1))];
        }
    }

    /// <summary>The build ended: its log's last lines are written, and the object holds the whole log.</summary>
    private void EndBuildLog(JsonObject stored, string? failure)
    {
        var id = stored["id"]!.GetValue<string>();
        BuildEnds[id] = Stopwatch.GetTimestamp();
        var end = failure is null
            ? [.. (stored["images"] as JsonArray ?? []).Select(i => $"Pushing {i}"), "DONE"]
            : new[] { "ERROR", $"ERROR: build step 0 \"{stored["steps"]?[0]?["name"]}\" failed: {failure}" };
        EndBuildLogEntries(id, end);
        if (!_buildLogs.TryGetValue(id, out var log))
        {
            return;
        }

        lock (log)
        {
            log.Content = [.. log.Content, .. Encoding.UTF8.GetBytes(string.Concat(end.Select(l => l + "\n")))];
            log.Running = false;
            Objects[log.Key] = log.Content;
        }
    }

    private static string? BuildIdOf(string operation) =>
        operation.StartsWith("operations/build/", StringComparison.Ordinal)
            ? Encoding.UTF8.GetString(Convert.FromBase64String(operation[(operation.LastIndexOf('/') + 1)..]))
            : null;

    /// <summary>What Cloud Build writes for a build's source and steps, their arguments substituted (its log's sections: FETCHSOURCE, BUILD, PUSH).</summary>
    private static List<string> StepLines(JsonObject stored, Dictionary<string, string> substitutions)
    {
        var source = stored["source"]?["storageSource"];
        List<string> lines = [$"starting build \"{stored["id"]}\"", "", "FETCHSOURCE", $"Fetching storage object: gs://{source?["bucket"]}/{source?["object"]}#{source?["generation"]}", "BUILD"];
        var steps = stored["steps"] as JsonArray ?? [];
        for (var i = 0; i < steps.Count; i++)
        {
            lines.Add($"Starting Step #{i}");
            lines.Add($"Step #{i}: Already have image (with digest): {steps[i]?["name"]}");
            lines.Add($"Step #{i}: {Substitute(string.Join(' ', (steps[i]?["args"] as JsonArray ?? []).Select(a => a?.ToString())), substitutions)}");
            lines.Add($"Finished Step #{i}");
        }

        lines.Add("PUSH");
        return lines;
    }

    /// <summary><c>objects.get</c>: the object's metadata, or with <c>alt=media</c> its bytes (a range of them when asked).</summary>
    private async Task GetObjectAsync(HttpContext context, string bucket, string name)
    {
        var key = $"{bucket}/{name}";
        var log = _buildLogs.Values.FirstOrDefault(l => l.Key == key);
        if (log is not null && await BuildLogHungAsync(context, log.Running))
        {
            return;
        }

        if (log is not null && NextBuildLogFault() is { } fault)
        {
            BuildLogReads.Enqueue(((int)fault, log.Running));
            await StorageErrorAsync(context, fault, "backendError", "We encountered an internal error. Please try again.");
            return;
        }

        if (!Objects.TryGetValue(key, out var content))
        {
            if (log is not null)
            {
                BuildLogReads.Enqueue((404, log.Running));
            }

            await StorageErrorAsync(context, HttpStatusCode.NotFound, "notFound", $"No such object: {key}");
            return;
        }

        if (context.Request.Query["alt"] != "media")
        {
            var metadata = new JsonObject
            {
                ["kind"] = "storage#object",
                ["bucket"] = bucket,
                ["name"] = name,
                ["size"] = content.Length.ToString(CultureInfo.InvariantCulture),
                ["contentType"] = "text/plain",
            };
            CheckStorage("Schema$Object", metadata, $"answer to GET {context.Request.Path}");
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(metadata.ToJsonString());
            return;
        }

        var status = await MediaAsync(context, content);
        if (log is not null)
        {
            BuildLogReads.Enqueue((status, log.Running));
        }
    }

    /// <summary>
    /// The bytes, or the range asked for (RFC 9110 §14.1.2 forms <c>bytes=N-</c>, <c>bytes=N-M</c>, <c>bytes=-S</c>):
    /// 206 with <c>Content-Range: bytes FIRST-LAST/LENGTH</c>; a first byte at or past the end is 416 with
    /// <c>Content-Range: bytes */LENGTH</c>; a Range that is not one of these is ignored (200, the whole object).
    /// </summary>
    private static async Task<int> MediaAsync(HttpContext context, byte[] content)
    {
        var response = context.Response;
        response.ContentType = "text/plain";
        var range = ByteRange().Match(context.Request.Headers.Range.ToString());
        if (!range.Success || (range.Groups["first"].Length == 0 && range.Groups["last"].Length == 0))
        {
            await response.Body.WriteAsync(content);
            return StatusCodes.Status200OK;
        }

        long first, last;
        if (range.Groups["first"].Length == 0)
        {
            first = Math.Max(0, content.Length - long.Parse(range.Groups["last"].Value, CultureInfo.InvariantCulture));
            last = content.Length - 1;
        }
        else
        {
            first = long.Parse(range.Groups["first"].Value, CultureInfo.InvariantCulture);
            last = range.Groups["last"].Length == 0 ? content.Length - 1 : Math.Min(content.Length - 1, long.Parse(range.Groups["last"].Value, CultureInfo.InvariantCulture));
        }

        if (first >= content.Length || last < first)
        {
            response.Headers.ContentRange = $"bytes */{content.Length}";
            await StorageErrorAsync(context, HttpStatusCode.RequestedRangeNotSatisfiable, "requestedRangeNotSatisfiable", "The requested range cannot be satisfied.");
            return StatusCodes.Status416RangeNotSatisfiable;
        }

        response.StatusCode = StatusCodes.Status206PartialContent;
        response.Headers.ContentRange = $"bytes {first}-{last}/{content.Length}";
        await response.Body.WriteAsync(content.AsMemory((int)first, (int)(last - first + 1)));
        return StatusCodes.Status206PartialContent;
    }

    /// <summary>Cloud Storage's JSON API error body: <c>{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}</c>.</summary>
    private static async Task StorageErrorAsync(HttpContext context, HttpStatusCode code, string reason, string message)
    {
        context.Response.StatusCode = (int)code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = (int)code,
                ["message"] = message,
                ["errors"] = new JsonArray(new JsonObject { ["message"] = message, ["domain"] = "global", ["reason"] = reason }),
            },
        }.ToJsonString());
    }

    [GeneratedRegex(@"^bytes=(?<first>\d*)-(?<last>\d*)$")]
    private static partial Regex ByteRange();
}
