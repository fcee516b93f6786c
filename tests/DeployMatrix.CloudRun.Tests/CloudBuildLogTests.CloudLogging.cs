using System.Diagnostics;
using System.Net;
using DeployMatrix.CloudRun.Build;

namespace DeployMatrix.CloudRun.Tests;

/// <summary>A build that logs to Cloud Logging only: its log followed through entries.list while it runs.</summary>
public sealed partial class CloudBuildLogTests
{
    private const string Project = "openagentsgemini";

    [Theory]
    [InlineData("CLOUD_LOGGING_ONLY")]
    [InlineData("STACKDRIVER_ONLY")]
    public async Task ABuildLoggingToCloudLoggingOnly_StreamsEveryLineFromCloudLogging_InOrder_OnceEach_WhileItRuns(string mode)
    {
        _source.Write("deploy/cloudbuild.yaml", Config + $"\noptions:\n  logging: {mode}\n");
        // Eight polls of the operation: the entries grow by a piece at each; three lines to a timestamp, so pieces
        // and pages (two entries each) end between entries of one timestamp.
        _connection.Fake.PollsPerOperation = 8;
        _connection.Fake.BuildLogEntriesPerTimestamp = 3;
        var lines = new List<(string Text, long At)>();

        var report = await _connection.Builder(_source.Path).BuildAsync(Step(), l => lines.Add((l, Stopwatch.GetTimestamp())), CancellationToken.None);

        Assert.Equal("SUCCESS", report.Status);
        var log = _connection.Fake.BuildLogEntryLines(report.Id);
        var streamed = lines.Where(l => l.Text.StartsWith('│')).ToList();
        Assert.Equal(log.Select(l => $"│ {l}"), streamed.Select(l => l.Text));
        Assert.Equal($"starting build \"{report.Id}\"", log[0]);
        Assert.Equal("DONE", log[^1]);
        Assert.Contains($"streaming the build's log from Cloud Logging projects/{Project}/logs/cloudbuild (build {report.Id})", lines.Select(l => l.Text));
        // Streamed while the build ran: most lines were printed before it ended.
        var ended = _connection.Fake.BuildEnds[report.Id];
        Assert.True(streamed.Count(l => l.At < ended) >= log.Count / 2, $"{streamed.Count(l => l.At < ended)} of {log.Count} lines before the build ended");

        // Each read asks for the build's cloudbuild log from the newest timestamp printed, oldest first, a page at a time.
        var reads = _connection.Fake.LogRequests.ToList();
        Assert.All(reads, r =>
        {
            Assert.Equal($"[\"projects/{Project}\"]", r["resourceNames"]!.ToJsonString());
            Assert.Equal("timestamp asc", r["orderBy"]!.GetValue<string>());
            Assert.Equal(2, r["pageSize"]!.GetValue<int>());
            Assert.StartsWith($"logName=\"projects/{Project}/logs/cloudbuild\" AND resource.type=\"build\" AND resource.labels.build_id=\"{report.Id}\" AND timestamp>=\"2026-11-26T12:00:00", r["filter"]!.GetValue<string>(), StringComparison.Ordinal);
        });
        Assert.Equal("2026-11-26T12:00:00.0000000Z", TimestampTerm(reads[0]));
        Assert.Contains(reads, r => r["pageToken"] is not null);
        Assert.True(reads.Select(TimestampTerm).Distinct().Count() >= 3, string.Join(", ", reads.Select(TimestampTerm).Distinct()));
        Assert.Equal(reads.Select(TimestampTerm).Order(StringComparer.Ordinal), reads.Select(TimestampTerm));
        Assert.Contains(_connection.Fake.BuildLogReads, r => r is { Status: 200, Running: true });
        Assert.False(_connection.Fake.BuildLogReads.Last().Running);
        Assert.DoesNotContain(_connection.Fake.Calls, c => c.Contains("/o/log-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EntriesWithOneTimestamp_ArrivingAcrossReadsAndPages_ArePrintedOnceEach_InTheirOrder()
    {
        var created = DateTimeOffset.Parse("2026-11-26T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var (t0, t1) = (created.AddMilliseconds(1), created.AddMilliseconds(2));
        var lines = new List<string>();
        var source = new CloudLoggingLogSource(_connection.Logging(), "p", "b-1", created, lines.Add);
        var tail = new BuildLogTail(source, TimeProvider.System, lines.Add);
        void Write(DateTimeOffset at, string insertId, string text) => _connection.Fake.AddBuildLogEntry("p", "b-1", at, insertId, text);
        _connection.Fake.AddBuildLogEntry("p", "another-build", t0, "x0", "another build's line");

        await tail.PollAsync(CancellationToken.None); // no entry yet
        Write(t0, "a1", "Step #0: one");
        Write(t0, "a2", "Step #0: two");
        await tail.PollAsync(CancellationToken.None);
        Assert.Equal(["Step #0: one", "Step #0: two"], lines);

        // More entries at the timestamp already printed from, then a later one: only the new ones print.
        Write(t0, "a3", "Step #0: three");
        Write(t1, "b1", "Step #1: four");
        await tail.PollAsync(CancellationToken.None); // two pages: a1 a2 | a3 b1
        await tail.PollAsync(CancellationToken.None); // nothing new: b1 again, known by its insertId
        Write(t1, "b2", "Step #1: five\n");
        Write(t1, "b3", "Step #1: \u001b[31msix\u001b[0m");
        Write(t1, "b4", "DONE");
        await tail.FollowAsync(TimeSpan.FromSeconds(1), new CancellationToken(canceled: true), CancellationToken.None);

        Assert.Equal(["Step #0: one", "Step #0: two", "Step #0: three", "Step #1: four", "Step #1: five", @"Step #1: \u001b[31msix\u001b[0m", "DONE"], lines);
        Assert.False(tail.GaveUp);
        var filters = _connection.Fake.LogFilters.Select(f => f[(f.IndexOf("timestamp>=", StringComparison.Ordinal) + "timestamp>=".Length)..]).Distinct().ToList();
        Assert.Equal(["\"2026-11-26T12:00:00.0000000Z\"", "\"2026-11-26T12:00:00.0010000Z\"", "\"2026-11-26T12:00:00.0020000Z\""], filters);
        Assert.Contains(_connection.Fake.LogRequests, r => r["pageToken"] is not null);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.ServiceUnavailable, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests)]
    public async Task ACloudLoggingLogThatKeepsFailing_LeavesTheBuildSucceeding_WithOneWarning_AndStopsReading(params HttpStatusCode[] faults)
    {
        _source.Write("deploy/cloudbuild.yaml", Config + "\noptions:\n  logging: CLOUD_LOGGING_ONLY\n");
        _connection.Fake.PollsPerOperation = 8;
        foreach (var fault in faults)
        {
            _connection.Fake.BuildLogFaultsNext.Enqueue(fault);
        }

        var lines = new List<string>();

        var report = await _connection.Builder(_source.Path).BuildAsync(Step(), lines.Add, CancellationToken.None);

        Assert.Equal("SUCCESS", report.Status);
        var warning = Assert.Single(lines, l => l.StartsWith("warning:", StringComparison.Ordinal));
        var last = faults[^1] == HttpStatusCode.TooManyRequests
            ? "429 RESOURCE_EXHAUSTED: Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'logging.googleapis.com'."
            : "503 UNAVAILABLE: The service is currently unavailable.";
        Assert.Equal($"warning: could not read the build's log Cloud Logging projects/{Project}/logs/cloudbuild (build {report.Id}) (POST /v2/entries:list → {last}); it is no longer streamed, the log URL follows when the build ends", warning);
        Assert.DoesNotContain(lines, l => l.StartsWith('│'));
        // Three reads, each asked once (a read is not retried: the next poll is its retry), then none.
        Assert.Equal(faults.Select(f => ((int)f, true)), _connection.Fake.BuildLogReads);
        Assert.Equal(BuildLogTail.FailuresBeforeGivingUp, _connection.Fake.Calls.Count(c => c == "POST /v2/entries:list"));
    }

    [Fact]
    public async Task ACloudLoggingReadThatFailsOnceOrTwice_IsRetriedByTheNextPoll_AndNoLineIsLost()
    {
        _source.Write("deploy/cloudbuild.yaml", Config + "\noptions:\n  logging: CLOUD_LOGGING_ONLY\n");
        _connection.Fake.PollsPerOperation = 8;
        _connection.Fake.BuildLogFaultsNext.Enqueue(HttpStatusCode.TooManyRequests);
        _connection.Fake.BuildLogFaultsNext.Enqueue(HttpStatusCode.ServiceUnavailable);
        var lines = new List<string>();

        var report = await _connection.Builder(_source.Path).BuildAsync(Step(), lines.Add, CancellationToken.None);

        Assert.Equal("SUCCESS", report.Status);
        Assert.DoesNotContain(lines, l => l.StartsWith("warning:", StringComparison.Ordinal));
        Assert.Equal(_connection.Fake.BuildLogEntryLines(report.Id).Select(l => $"│ {l}"), lines.Where(l => l.StartsWith('│')));
        Assert.Equal([429, 503], _connection.Fake.BuildLogReads.Take(2).Select(r => r.Status));
    }

    [Fact]
    public async Task TheDoublesEntriesList_RefusesWhatCloudLoggingRefuses()
    {
        var logging = _connection.Logging();
        const string Good = "logName=\"projects/p/logs/cloudbuild\" AND resource.type=\"build\" AND resource.labels.build_id=\"b-1\"";
        string[] texts = ["Step #0: line 0", "Step #0: line 1", "DONE"];
        for (var i = 0; i < texts.Length; i++)
        {
            _connection.Fake.AddBuildLogEntry("p", "b-1", DateTimeOffset.UnixEpoch.AddSeconds(i), $"i{i}", texts[i]);
        }

        var first = await logging.ListOnceAsync("p", Good, null, CancellationToken.None);
        Assert.Equal(["Step #0: line 0", "Step #0: line 1"], first.Entries!.Select(e => e.TextPayload));
        Assert.Equal("Step #0", first.Entries![0].Labels!["build_step"]);
        var second = await logging.ListOnceAsync("p", Good, first.NextPageToken, CancellationToken.None);
        Assert.Equal(["DONE"], second.Entries!.Select(e => e.TextPayload));
        Assert.Null(second.Entries![0].Labels);
        Assert.Null(second.NextPageToken);

        async Task<string> Refused(string filter, string? token = null, int pageSize = 2) =>
            Assert.IsType<CloudRun.Api.GoogleApiException>(await Record.ExceptionAsync(() => _connection.Logging(pageSize).ListOnceAsync("p", filter, token, CancellationToken.None))).Message;

        // A page token from another query, or none the double gave; a page larger than 1000; a filter that does not parse.
        Assert.Contains("400 INVALID_ARGUMENT: page_token doesn't match arguments from the request", await Refused(Good + " AND timestamp>=\"1970-01-01T00:00:00Z\"", first.NextPageToken), StringComparison.Ordinal);
        Assert.Contains("400 INVALID_ARGUMENT: page_token doesn't match arguments from the request", await Refused(Good, "7:nonsense"), StringComparison.Ordinal);
        Assert.Contains("400 INVALID_ARGUMENT: pageSize must be between 0 and 1000, not 1001", await Refused(Good, pageSize: 1001), StringComparison.Ordinal);
        Assert.Contains("400 INVALID_ARGUMENT", await Refused("resource.type=\"build\" AND resource.labels.build_id=\"b-1"), StringComparison.Ordinal);
        Assert.Single(_connection.Fake.Problems); // (the double notes the filter it could not read)
        _connection.Fake.Problems.Clear();
    }

    private static string TimestampTerm(System.Text.Json.Nodes.JsonObject request)
    {
        var filter = request["filter"]!.GetValue<string>();
        return filter[(filter.IndexOf("timestamp>=\"", StringComparison.Ordinal) + "timestamp>=\"".Length)..].TrimEnd('"');
    }
}
