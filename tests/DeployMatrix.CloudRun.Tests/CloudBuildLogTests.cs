using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DeployMatrix.CloudRun.Api;
using DeployMatrix.CloudRun.Build;
using DeployMatrix.CloudRun.Tests.Support;
using DeployMatrix.Core.Planning;
using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.CloudRun.Tests;

/// <summary>
/// A Cloud Build's log streamed while the build runs, as <c>gcloud builds submit</c> streams it: the object
/// <c>log-BUILD_ID.txt</c> in the build's logsBucket, read from an offset through the double's Cloud Storage; for a
/// build that logs to Cloud Logging only, its entries read through entries.list (CloudBuildLogTests.CloudLogging.cs);
/// the bound on one read, whichever the source (CloudBuildLogTests.Bounds.cs).
/// </summary>
public sealed partial class CloudBuildLogTests : IAsyncLifetime, IDisposable
{
    private const string Image = "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:abc1234";
    private const string Config = """
        steps:
          - name: gcr.io/cloud-builders/docker
            args: [build, -t, "us-central1-docker.pkg.dev/$PROJECT_ID/runtime/runtime:$_TAG", .]
          - name: gcr.io/cloud-builders/curl
            args: [--retry, "3", http://example.invalid]
        images:
          - us-central1-docker.pkg.dev/$PROJECT_ID/runtime/runtime:$_TAG
        """;

    private readonly TempDir _source = new();
    private DoubleConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _connection = await DoubleConnection.StartAsync();
        _source.Write("deploy/cloudbuild.yaml", Config);
        _source.Write("Dockerfile", "FROM scratch\n");
        var start = new ProcessStartInfo("git") { WorkingDirectory = _source.Path, ArgumentList = { "init", "-q" } };
        using var git = Process.Start(start)!;
        await git.WaitForExitAsync();
    }

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    public void Dispose() => _source.Dispose();

    [Fact]
    public async Task ABuild_StreamsEveryLineOfItsLog_InOrder_OnceEach_WhileItRuns()
    {
        // Eight polls of the operation: the log grows by a piece at each, cut wherever the byte count falls.
        _connection.Fake.PollsPerOperation = 8;
        var lines = new List<string>();

        var report = await _connection.Builder(_source.Path).BuildAsync(Step(), lines.Add, CancellationToken.None);

        Assert.Equal("SUCCESS", report.Status);
        var log = _connection.Fake.BuildLogText(report.Id).TrimEnd('\n').Split('\n');
        Assert.Equal(log.Select(l => $"│ {l}"), lines.Where(l => l.StartsWith('│')));
        Assert.Equal($"starting build \"{report.Id}\"", log[0]);
        Assert.Equal("DONE", log[^1]);
        Assert.Contains($"streaming the build's log from gs://{CloudRunDouble.ProjectNumber}.cloudbuild-logs.googleusercontent.com/log-{report.Id}.txt", lines);
        // Streamed while the build ran (several reads brought bytes before it ended), then read once more at its end.
        var reads = _connection.Fake.BuildLogReads.ToList();
        Assert.True(reads.Count(r => r is { Status: 206, Running: true }) >= 2, string.Join(", ", reads));
        Assert.Contains(reads, r => r.Status == 416);
        Assert.False(reads[^1].Running);
        Assert.All(_connection.Fake.Calls.Where(c => c.Contains("/o/log-", StringComparison.Ordinal)),
            c => Assert.Equal($"GET /storage/v1/b/{CloudRunDouble.ProjectNumber}.cloudbuild-logs.googleusercontent.com/o/log-{report.Id}.txt?alt=media", c));
    }

    [Fact]
    public async Task ALineSplitAcrossReads_IsPrintedWhole_OnlyOnceComplete_AndTheLastUnfinishedLineAtTheEnd()
    {
        var lines = new List<string>();
        var tail = new BuildLogTail(StorageLogSource.For(new CloudBuild { Id = "b-1", LogsBucket = "gs://logs/builds" }, _connection.Storage(), lines.Add)!, TimeProvider.System, lines.Add);
        var key = "logs/builds/log-b-1.txt";
        var text = Encoding.UTF8.GetBytes("Step #0: hello\r\nStep #1: wörld\nStep #2: \u001b[31mred\u001b[0m\nDONE");
        var cut = Array.IndexOf(text, (byte)0xb6); // inside "ö": its second byte arrives with the next read

        await tail.PollAsync(CancellationToken.None); // 404: no log yet
        _connection.Fake.Objects[key] = text[..9];
        await tail.PollAsync(CancellationToken.None);
        Assert.Empty(lines);

        _connection.Fake.Objects[key] = text[..cut];
        await tail.PollAsync(CancellationToken.None);
        Assert.Equal(["Step #0: hello"], lines);

        _connection.Fake.Objects[key] = text;
        await tail.PollAsync(CancellationToken.None);
        await tail.PollAsync(CancellationToken.None); // 416: nothing new
        Assert.Equal(["Step #0: hello", "Step #1: wörld", @"Step #2: \u001b[31mred\u001b[0m"], lines);

        await tail.FollowAsync(TimeSpan.FromSeconds(1), new CancellationToken(canceled: true), CancellationToken.None);
        Assert.Equal(["Step #0: hello", "Step #1: wörld", @"Step #2: \u001b[31mred\u001b[0m", "DONE"], lines);
        Assert.Equal(["GET /storage/v1/b/logs/o/builds%2Flog-b-1.txt?alt=media"], _connection.Fake.Calls.Distinct());
    }

    [Fact]
    public async Task ALogThatCannotBeRead_LeavesTheBuildSucceeding_WithOneWarning_AndStopsReading()
    {
        _connection.Fake.PollsPerOperation = 8;
        _connection.Fake.BuildLogFault = HttpStatusCode.InternalServerError;
        var lines = new List<string>();

        var report = await _connection.Builder(_source.Path).BuildAsync(Step(), lines.Add, CancellationToken.None);

        Assert.Equal("SUCCESS", report.Status);
        var warning = Assert.Single(lines, l => l.StartsWith("warning:", StringComparison.Ordinal));
        Assert.Equal($"warning: could not read the build's log gs://{CloudRunDouble.ProjectNumber}.cloudbuild-logs.googleusercontent.com/log-{report.Id}.txt (GET /storage/v1/b/{CloudRunDouble.ProjectNumber}.cloudbuild-logs.googleusercontent.com/o/log-{report.Id}.txt → 500 We encountered an internal error. Please try again.); it is no longer streamed, the log URL follows when the build ends", warning);
        Assert.DoesNotContain(lines, l => l.StartsWith('│'));
        Assert.Equal(BuildLogTail.FailuresBeforeGivingUp, _connection.Fake.BuildLogReads.Count);
    }

    [Fact]
    public async Task ABuildThatKeepsNoLog_HasNothingToRead_SoNothingIsRead_AndSaysSo()
    {
        _source.Write("deploy/cloudbuild.yaml", Config + "\noptions:\n  logging: NONE\n");
        var lines = new List<string>();

        var report = await _connection.Builder(_source.Path).BuildAsync(Step(), lines.Add, CancellationToken.None);

        Assert.Equal("SUCCESS", report.Status);
        Assert.Contains("the build keeps no log (options.logging NONE)", lines);
        Assert.Empty(_connection.Fake.BuildLogReads);
        Assert.DoesNotContain(_connection.Fake.Calls, c => c.Contains("/o/log-", StringComparison.Ordinal) || c.Contains("entries:list", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheDoublesObjectReads_AnswerRangesAsCloudStorageDoes()
    {
        _connection.Fake.Objects["b/o.txt"] = "hello world"u8.ToArray();
        using var http = new HttpClient { BaseAddress = _connection.Fake.BaseUri };

        async Task<(HttpStatusCode Status, string Body, string? ContentRange)> Get(string path, string? range, string token = CloudRunDouble.Token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (range is not null)
            {
                request.Headers.TryAddWithoutValidation("Range", range);
            }

            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.TryGetValues("Content-Range", out var values) ? values.Single() : null);
        }

        Assert.Equal((HttpStatusCode.PartialContent, "world", "bytes 6-10/11"), await Get("storage/v1/b/b/o/o.txt?alt=media", "bytes=6-"));
        Assert.Equal((HttpStatusCode.PartialContent, "hello", "bytes 0-4/11"), await Get("storage/v1/b/b/o/o.txt?alt=media", "bytes=0-4"));
        Assert.Equal((HttpStatusCode.PartialContent, "rld", "bytes 8-10/11"), await Get("storage/v1/b/b/o/o.txt?alt=media", "bytes=-3"));
        Assert.Equal((HttpStatusCode.OK, "hello world", null), await Get("storage/v1/b/b/o/o.txt?alt=media", null));
        var past = await Get("storage/v1/b/b/o/o.txt?alt=media", "bytes=11-");
        Assert.Equal((HttpStatusCode.RequestedRangeNotSatisfiable, "bytes */11"), (past.Status, past.ContentRange));
        Assert.Contains("\"reason\":\"requestedRangeNotSatisfiable\"", past.Body, StringComparison.Ordinal);
        var missing = await Get("storage/v1/b/b/o/log-none.txt?alt=media", "bytes=0-");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Contains("No such object: b/log-none.txt", missing.Body, StringComparison.Ordinal);
        Assert.Contains("\"size\":\"11\"", (await Get("storage/v1/b/b/o/o.txt", null)).Body, StringComparison.Ordinal); // without alt=media: the metadata
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get("storage/v1/b/b/o/o.txt?alt=media", "bytes=0-", "another-token")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Get("storage/v1/b/b/objects/o.txt?alt=media", null)).Status);
        Assert.Equal(["GET /storage/v1/b/b/objects/o.txt: no such method and path in the storage definition"], _connection.Fake.Problems);
        _connection.Fake.Problems.Clear();
    }

    private static BuildImage Step() =>
        new("runtime", "abc1234", Image, "deploy/cloudbuild.yaml", new Dictionary<string, string> { ["_TAG"] = "abc1234" }, "openagentsgemini");
}
