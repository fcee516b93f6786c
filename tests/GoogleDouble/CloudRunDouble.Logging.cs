using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// Cloud Logging v2 <c>entries.list</c> (<c>POST /v2/entries:list</c>, checked against google.logging.v2 like every
/// other call): it reads the filter the way Cloud Logging's query language would for the terms a log probe sends
/// — <c>resource.type</c>, <c>resource.labels.service_name</c> and <c>.location</c>, <c>severity&gt;=</c>,
/// <c>timestamp&gt;=</c>, joined by AND — refuses anything else as INVALID_ARGUMENT, and answers in pages.
/// </summary>
public sealed partial class CloudRunDouble
{
    private static readonly string[] Severities = ["DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"];

    private readonly ConcurrentQueue<(string Project, JsonObject Entry)> _logEntries = new();

    /// <summary>Every filter entries.list was sent, in order.</summary>
    public ConcurrentQueue<string> LogFilters { get; } = new();

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
            ["timestamp"] = timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            ["receiveTimestamp"] = timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
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
        if (names.Count != 1 || names[0] is not { } name || !name.StartsWith("projects/", StringComparison.Ordinal))
        {
            bad = "resourceNames must name one project (projects/PROJECT)";
            return null;
        }

        if (body?["orderBy"]?.GetValue<string>() is { } order && order is not ("timestamp asc" or "timestamp desc"))
        {
            bad = $"orderBy must be 'timestamp asc' or 'timestamp desc', not '{order}'";
            return null;
        }

        var pageSize = body?["pageSize"]?.GetValue<int>() ?? 50;
        if (pageSize is < 1 or > 1000)
        {
            bad = "pageSize must be between 1 and 1000";
            return null;
        }

        var conditions = new List<Func<JsonObject, bool>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var term in filter.Split(" AND "))
        {
            var match = FilterTerm().Match(term.Trim());
            if (!match.Success)
            {
                bad = $"the double reads only resource.type, resource.labels.service_name/location, severity>= and timestamp>= terms joined by AND, not '{term}'";
                Problems.Enqueue($"entries.list filter: {bad}");
                return null;
            }

            var (field, op, value) = (match.Groups["field"].Value, match.Groups["op"].Value, match.Groups["value"].Value.Trim('"'));
            seen.Add(field);
            switch (field)
            {
                case "resource.type" when op == "=":
                    conditions.Add(e => e["resource"]!["type"]!.GetValue<string>() == value);
                    break;
                case "resource.labels.service_name" or "resource.labels.location" when op == "=":
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

        // What a log probe must say, or it would count other services' or older entries.
        if (new[] { "resource.type", "resource.labels.service_name", "severity", "timestamp" }.FirstOrDefault(f => !seen.Contains(f)) is { } missing)
        {
            Problems.Enqueue($"entries.list filter without a {missing} term: {filter}");
        }

        var project = name["projects/".Length..];
        var matching = _logEntries.Where(e => e.Project == project && conditions.All(c => c(e.Entry))).Select(e => e.Entry)
            .OrderBy(e => DateTimeOffset.Parse(e["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture)).ToList();
        var offset = int.TryParse(body?["pageToken"]?.GetValue<string>(), out var token) ? token : 0;
        var page = matching.Skip(offset).Take(pageSize).ToList();
        var answer = new JsonObject { ["entries"] = new JsonArray([.. page.Select(e => e.DeepClone())]) };
        if (offset + page.Count < matching.Count)
        {
            answer["nextPageToken"] = (offset + page.Count).ToString(CultureInfo.InvariantCulture);
        }

        return answer;
    }

    [GeneratedRegex("^(?<field>[a-z_.]+)(?<op>>=|=)(?<value>\"[^\"]*\"|[A-Z]+)$")]
    private static partial Regex FilterTerm();
}
