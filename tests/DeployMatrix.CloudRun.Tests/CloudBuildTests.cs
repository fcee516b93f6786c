using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using DeployMatrix.CloudRun.Tests.Support;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.CloudRun.Tests;

/// <summary>
/// <c>gcloud builds submit</c> through the APIs against the double: the source packed as gcloud packs
/// it, uploaded to the build bucket, the config sent as a Build with the matrix's substitutions.
/// </summary>
public sealed class CloudBuildTests : IAsyncLifetime, IDisposable
{
    private const string Image = "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:abc1234";
    private const string Config = """
        steps:
          - name: gcr.io/cloud-builders/docker
            args: [build, -t, "us-central1-docker.pkg.dev/$PROJECT_ID/runtime/runtime:$_TAG", -f, apps/runtime/Dockerfile, .]
          - name: gcr.io/cloud-builders/curl
            args: [--retry, 3, http://example.invalid]
        images:
          - us-central1-docker.pkg.dev/$PROJECT_ID/runtime/runtime:$_TAG
          - us-central1-docker.pkg.dev/$PROJECT_ID/runtime/runtime:latest
        substitutions:
          _TAG: latest
        options:
          logging: CLOUD_LOGGING_ONLY
        """;

    private readonly TempDir _source = new();
    private DoubleConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _connection = await DoubleConnection.StartAsync();
        _source.Write("apps/runtime/deploy/cloudbuild.yaml", Config);
        _source.Write("apps/runtime/Dockerfile", "FROM scratch\n");
        _source.Write("apps/runtime/src/main.rs", "fn main() {}\n");
        _source.Write(".gitignore", "target/\n");
        _source.Write("target/debug/huge.bin", "build output\n");
        _source.Write(".deploymatrix/state.db", "state\n");
        Git("init", "-q");
        Git("add", "apps", ".gitignore");
        _source.Write("notes.txt", "untracked but not ignored\n");
    }

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    public void Dispose() => _source.Dispose();

    [Fact]
    public async Task TheSourceUpload_IsResumable_AndCarriesItsChecksum_WhichCloudStorageChecks()
    {
        var report = await _connection.Builder(_source.Path).BuildAsync(Step(), _ => { }, CancellationToken.None);

        Assert.Contains(_connection.Fake.Calls, c => c.StartsWith("POST /upload/storage/v1/b/openagentsgemini_cloudbuild/o?", StringComparison.Ordinal) && c.Contains("uploadType=resumable", StringComparison.Ordinal));
        Assert.Contains("crc32c", Assert.Single(_connection.Fake.ChecksumsSent).Split(','));
        Assert.True(_connection.Fake.Objects.ContainsKey(report.Source["gs://".Length..]));
    }

    [Fact]
    public async Task ASourceArchiveChangedOnTheWay_IsRefusedByCloudStorage_AndNoBuildStarts()
    {
        _connection.Fake.CorruptUploads = true;

        var error = await Assert.ThrowsAnyAsync<PlatformException>(() => _connection.Builder(_source.Path).BuildAsync(Step(), _ => { }, CancellationToken.None));

        Assert.Contains("Cloud Storage refused uploading gs://openagentsgemini_cloudbuild/source/", error.Message, StringComparison.Ordinal);
        Assert.Contains("doesn't match calculated CRC32C", error.Message, StringComparison.Ordinal);
        Assert.Empty(_connection.Fake.Objects);
        Assert.Empty(_connection.Fake.Builds);
    }

    [Fact]
    public async Task ABuild_UploadsTheSourceAsGcloudPacksIt_SendsTheConfigWithTag_AndReportsTheLogUrlAndDigest()
    {
        var lines = new List<string>();

        var report = await _connection.Builder(_source.Path).BuildAsync(Step(), lines.Add, CancellationToken.None);

        Assert.Equal("SUCCESS", report.Status);
        Assert.StartsWith("https://console.cloud.google.com/cloud-build/builds/", report.LogUrl, StringComparison.Ordinal);
        Assert.Contains(report.Images, i => i.Name == Image && i.Digest!.StartsWith("sha256:", StringComparison.Ordinal));
        Assert.StartsWith("gs://openagentsgemini_cloudbuild/source/", report.Source, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("created gs://openagentsgemini_cloudbuild", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(": WORKING", StringComparison.Ordinal));

        // The archive holds git's files: tracked and untracked-but-not-ignored, never ignored output or our state.
        var archive = _connection.Fake.Objects[report.Source["gs://".Length..]];
        Assert.Equal([".gitignore", "apps/runtime/Dockerfile", "apps/runtime/deploy/cloudbuild.yaml", "apps/runtime/src/main.rs", "notes.txt"], Entries(archive).Order(StringComparer.Ordinal));

        var build = Assert.Single(_connection.Fake.Builds);
        Assert.Equal("abc1234", build["substitutions"]!["_TAG"]!.GetValue<string>());
        Assert.Equal("3", build["steps"]![1]!["args"]![1]!.GetValue<string>()); // YAML's 3 sent as the string Cloud Build expects
        Assert.Equal("CLOUD_LOGGING_ONLY", build["options"]!["logging"]!.GetValue<string>());
    }

    [Fact]
    public async Task AValueHoldingGcloudsListSeparator_IsSentAsIs_ForGcloudsEscapingBelongsToItsCommandLineOnly()
    {
        _source.Write("apps/runtime/deploy/cloudbuild.yaml", Config.Replace("-f, apps/runtime/Dockerfile", "--build-arg, \"FEATURES=${_FEATURES}\", -f, apps/runtime/Dockerfile", StringComparison.Ordinal));
        var step = Step() with { Substitutions = new Dictionary<string, string> { ["_TAG"] = "abc1234", ["_FEATURES"] = "a,b=c|d" } };

        await _connection.Builder(_source.Path).BuildAsync(step, _ => { }, CancellationToken.None);

        var build = Assert.Single(_connection.Fake.Builds);
        Assert.Equal("a,b=c|d", build["substitutions"]!["_FEATURES"]!.GetValue<string>());
        Assert.Equal("^;^_TAG=abc1234;_FEATURES=a,b=c|d", GcloudCommands.For(step)[0][6]); // the same map on gcloud's command line
    }

    [Fact]
    public async Task QuotaAndUnavailableAnswers_AreRetried_AndTheBuildGoesThrough()
    {
        _connection.Fake.FailNext(System.Net.HttpStatusCode.TooManyRequests, "Quota exceeded for quota metric 'Build requests'.");
        _connection.Fake.FailNext(System.Net.HttpStatusCode.ServiceUnavailable, "The service is currently unavailable.");
        _connection.Fake.AddBucket("openagentsgemini_cloudbuild");

        var report = await _connection.Builder(_source.Path).BuildAsync(Step(), _ => { }, CancellationToken.None);

        Assert.Equal("SUCCESS", report.Status);
        Assert.Single(_connection.Fake.Builds); // retried, not created twice
        Assert.Equal(3, _connection.Fake.Calls.Count(c => c == "POST /v1/projects/openagentsgemini/builds"));
    }

    [Fact]
    public async Task AGcloudignore_ExcludesWhatItLists()
    {
        _source.Write(".gcloudignore", "notes.txt\napps/runtime/src/\n");

        var report = await _connection.Builder(_source.Path).BuildAsync(Step(), _ => { }, CancellationToken.None);

        var entries = Entries(_connection.Fake.Objects[report.Source["gs://".Length..]]);
        Assert.DoesNotContain("notes.txt", entries);
        Assert.DoesNotContain("apps/runtime/src/main.rs", entries);
        Assert.Contains("apps/runtime/Dockerfile", entries);
    }

    [Fact]
    public async Task AFailedBuild_FailsWithItsStatus_TheStepsReason_AndTheLogUrl()
    {
        _connection.Fake.BuildFailure = _ => "Build step 0 \"gcr.io/cloud-builders/docker\" failed: step exited with non-zero status: 1";

        var error = await Assert.ThrowsAnyAsync<PlatformException>(() => _connection.Builder(_source.Path).BuildAsync(Step(), _ => { }, CancellationToken.None));

        Assert.Equal(1, error.ExitCode);
        Assert.Matches(@"^build [0-9a-f-]{36} ended FAILURE: Build step 0 .* failed: step exited with non-zero status: 1; logs: https://console\.cloud\.google\.com/cloud-build/builds/", error.Message);
    }

    [Fact]
    public async Task ABuildThatDoesNotPushTheLanesImage_Fails()
    {
        var error = await Assert.ThrowsAnyAsync<PlatformException>(() =>
            _connection.Builder(_source.Path).BuildAsync(Step() with { Image = "us-central1-docker.pkg.dev/openagentsgemini/other/other:abc1234" }, _ => { }, CancellationToken.None));

        Assert.Contains("succeeded but pushed us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:abc1234", error.Message, StringComparison.Ordinal);
        Assert.Contains("not the lane's image us-central1-docker.pkg.dev/openagentsgemini/other/other:abc1234", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASubstitutionTheConfigNeverUses_IsRefusedByCloudBuild_InOneLine()
    {
        var step = Step() with { Substitutions = new Dictionary<string, string> { ["_TAG"] = "abc1234", ["_REGION"] = "us-central1" } };

        var error = await Assert.ThrowsAnyAsync<PlatformException>(() => _connection.Builder(_source.Path).BuildAsync(step, _ => { }, CancellationToken.None));

        Assert.Contains("POST /v1/projects/openagentsgemini/builds → 400 INVALID_ARGUMENT: invalid value for 'build.substitutions': key in the template \"_REGION\" is not matched", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABrokenConfig_IsBadInput_WithItsPosition_BeforeAnythingIsUploaded()
    {
        _source.Write("apps/runtime/deploy/cloudbuild.yaml", "steps:\n  - name: [unclosed\n");

        var error = await Assert.ThrowsAnyAsync<PlatformException>(() => _connection.Builder(_source.Path).BuildAsync(Step(), _ => { }, CancellationToken.None));

        Assert.Equal(2, error.ExitCode);
        Assert.Matches(@"cloudbuild\.yaml:\d+:\d+: ", error.Message);
        Assert.Empty(_connection.Fake.Objects);
    }

    [Fact]
    public async Task ABuildLongerThanTheBound_FailsNamingTheOperation()
    {
        _connection.Fake.PollsPerOperation = 1_000_000;

        var error = await Assert.ThrowsAnyAsync<PlatformException>(() => _connection.Builder(_source.Path, TimeSpan.FromMilliseconds(300)).BuildAsync(Step(), _ => { }, CancellationToken.None));

        Assert.Matches("^build operation operations/build/openagentsgemini/.+ did not finish within 0.3 s", error.Message);
    }

    private static BuildImage Step() =>
        new("runtime", "abc1234", Image, "apps/runtime/deploy/cloudbuild.yaml", new Dictionary<string, string> { ["_TAG"] = "abc1234" }, "openagentsgemini");

    private static List<string> Entries(byte[] archive)
    {
        using var gzip = new GZipStream(new MemoryStream(archive), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        var entries = new List<string>();
        while (tar.GetNextEntry() is { } entry)
        {
            entries.Add(entry.Name);
        }

        return entries;
    }

    private void Git(params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = _source.Path };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var git = Process.Start(start)!;
        git.WaitForExit();
        Assert.Equal(0, git.ExitCode);
    }
}
