using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// Cloud Logging v2 <c>entries.list</c> (<c>POST /v2/entries:list</c>, checked against google.logging.v2 like every
/// other call): it reads the filter the way Cloud Logging's query language would for the terms a log probe and a
/// build's log tail send — <c>logName=</c>, <c>resource.type</c>, <c>resource.labels.service_name</c>, <c>.location</c>
/// and <c>.build_id</c>, <c>severity&gt;=</c>, <c>timestamp&gt;=</c>, joined by AND — refuses anything else as
/// INVALID_ARGUMENT, and answers in pages as the REST reference says: oldest first for <c>timestamp asc</c> (equal
/// timestamps in insertId order), a <c>pageSize</c> above 1000 or negative refused (0 or none: 50), and a
/// <c>pageToken</c> good only for the query it came from ("the values of other method parameters should be identical").
/// </summary>
public sealed partial class CloudRunDouble
{
    private static readonly string[] Severities = ["DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"];

    private readonly ConcurrentQueue<(string Project, JsonObject Entry)> _logEntries = new();

    /// <summary>Every filter entries.list was sent, in order.</summary>
    public ConcurrentQueue<string> LogFilters { get; } = new();

    /// <summary>Every request body entries.list was sent, in order.</summary>
    public ConcurrentQueue<JsonObject> LogRequests { get; } = new();

    /// <summary>A log entry of a Cloud Run revision: a text payload, or a JSON payload when <paramref name="json"/> is given.</summary>
    public void AddLogEntry(string project, string region, string service, string revision, string severity, DateTimeOffset timestamp, string text, JsonObject? json = null)
    {
        var entry = new JsonObject
        {
            ["logName"] = $"projects/{project}/logs/run.googleapis.com%2Fstderr",
            ["resource"] = new JsonObject
            {
                ["type"] = "cloud_run_revision",
                ["labels"] = new JsonObject { ["project_id"] = project, ["location"] = region, ["service_name"] = service, ["revision_name"] = revision, ["configuration_name"] = service },
            },
            ["timestamp"] = LogStamp(timestamp),
            ["receiveTimestamp"] = LogStamp(timestamp),
            ["severity"] = severity,
            ["insertId"] = Guid.NewGuid().ToString("N")[..16],
        };
        if (json is null)
        {
            entry["textPayload"] = text;
        }
        else
        {
            entry["jsonPayload"] = json;
        }

        _logEntries.Enqueue((project, entry));
    }

    private JsonObject? ListLogEntries(JsonObject? body, out string? bad)
    {
        bad = null;
        var names = body?["resourceNames"]?.AsArray().Select(n => n?.GetValue<string>()).ToList() ?? [];
        var filter = body?["filter"]?.GetValue<string>() ?? "";
        LogFilters.Enqueue(filter);
        LogRequests.Enqueue(body?.DeepClone().AsObject() ?? []);
        if (names.Count != 1 || names[0] is not { } name || !name.StartsWith("projects/", StringComparison.Ordinal))
        {
            bad = "resourceNames must name one project (projects/PROJECT)";
            return null;
        }

        var order = body?["orderBy"]?.GetValue<string>() ?? "timestamp asc";
        if (order is not ("timestamp asc" or "timestamp desc"))
        {
            bad = $"orderBy must be 'timestamp asc' or 'timestamp desc', not '{order}'";
            return null;
        }

        var pageSize = body?["pageSize"]?.GetValue<int>() ?? 0;
        if (pageSize is < 0 or > 1000)
        {
            bad = $"pageSize must be between 0 and 1000, not {pageSize}";
            return null;
        }

        pageSize = pageSize == 0 ? 50 : pageSize;

        string? kind = null;
        var conditions = new List<Func<JsonObject, bool>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var term in filter.Split(" AND "))
        {
            var match = FilterTerm().Match(term.Trim());
            if (!match.Success)
            {
                bad = $"the double reads only logName, resource.type, resource.labels.service_name/location/build_id, severity>= and timestamp>= terms joined by AND, not '{term}'";
                Problems.Enqueue($"entries.list filter: {bad}");
                return null;
            }

            var (field, op, value) = (match.Groups["field"].Value, match.Groups["op"].Value, match.Groups["value"].Value.Trim('"'));
            seen.Add(field);
            switch (field)
            {
                case "resource.type" when op == "=":
                    kind = value;
                    conditions.Add(e => e["resource"]!["type"]!.GetValue<string>() == value);
                    break;
                case "logName" when op == "=" && match.Groups["value"].Value.StartsWith('"'):
                    conditions.Add(e => e["logName"]?.GetValue<string>() == value);
                    break;
                case "resource.labels.service_name" or "resource.labels.location" or "resource.labels.build_id" when op == "=" && match.Groups["value"].Value.StartsWith('"'):
                    var label = field["resource.labels.".Length..];
                    conditions.Add(e => e["resource"]!["labels"]![label]?.GetValue<string>() == value);
                    break;
                case "severity" when op == ">=" && Array.IndexOf(Severities, value) >= 0:
                    conditions.Add(e => Array.IndexOf(Severities, e["severity"]!.GetValue<string>()) >= Array.IndexOf(Severities, value));
                    break;
                case "timestamp" when op == ">=" && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since):
                    conditions.Add(e => DateTimeOffset.Parse(e["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture) >= since);
                    break;
                default:
                    bad = $"invalid filter term '{term}'";
                    return null;
            }
        }

        // What a log probe must say, or it would count other services' or older entries; what a build's log tail
        // must say, or it would print other builds' lines (gcloud's tailer: the cloudbuild log of that build).
        var required = kind == "build" ? new[] { "logName", "resource.labels.build_id" } : ["resource.type", "resource.labels.service_name", "severity", "timestamp"];
        if (required.FirstOrDefault(f => !seen.Contains(f)) is { } missing)
        {
            Problems.Enqueue($"entries.list filter without a {missing} term: {filter}");
        }

        // A page token names a place in one query: the same filter, order and page size.
        var query = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{name}\n{filter}\n{order}\n{pageSize}")))[..16];
        var offset = 0;
        if (body?["pageToken"]?.GetValue<string>() is { Length: > 0 } token)
        {
            var parts = token.Split(':');
            if (parts.Length != 2 || parts[1] != query || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out offset))
            {
                bad = "page_token doesn't match arguments from the request";
                return null;
            }
        }

        var project = name["projects/".Length..];
        var oldestFirst = _logEntries.Where(e => e.Project == project && conditions.All(c => c(e.Entry))).Select(e => e.Entry)
            .OrderBy(e => DateTimeOffset.Parse(e["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture))
            .ThenBy(e => e["insertId"]?.GetValue<string>(), StringComparer.Ordinal).ToList();
        var matching = order == "timestamp desc" ? Enumerable.Reverse(oldestFirst).ToList() : oldestFirst;
        var page = matching.Skip(offset).Take(pageSize).ToList();
        var answer = new JsonObject { ["entries"] = new JsonArray([.. page.Select(e => e.DeepClone())]) };
        if (offset + page.Count < matching.Count)
        {
            answer["nextPageToken"] = $"{offset + page.Count}:{query}";
        }

        RecordBuildLogEntriesRead(body, 200);
        return answer;
    }

    [GeneratedRegex("^(?<field>[a-zA-Z_.]+)(?<op>>=|=)(?<value>\"[^\"]*\"|[A-Z]+)$")]
    private static partial Regex FilterTerm();
}
