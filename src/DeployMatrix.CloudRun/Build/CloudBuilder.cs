using System.Globalization;
using System.Text.Json.Nodes;
using DeployMatrix.CloudRun.Api;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Build;

/// <summary>What a finished Cloud Build produced.</summary>
public sealed record BuildReport(string Id, string Status, string? LogUrl, string Source, int Files, long Bytes, IReadOnlyList<BuiltImage> Images);

/// <summary>
/// <c>gcloud builds submit --config CFG --substitutions _TAG=TAG .</c> done through the APIs: pack the
/// source, upload it to <c>gs://PROJECT_cloudbuild/source/</c> (the bucket gcloud uses, created on first
/// use), create the build from the config, follow it to the end with its log streaming (<see cref="BuildLogTail"/>:
/// from Cloud Storage, or from Cloud Logging for a build that logs there only), and check it pushed the lane's image.
/// </summary>
public sealed class CloudBuilder(StorageApi storage, CloudBuildApi builds, LoggingApi logging, TimeProvider time, string sourceDirectory, Engine.Git.GitInfo git) : IImageBuilder
{
    /// <value>The default is 1 s between reads of the build's log while it runs (gcloud's tailer polls as often).</value>
    public TimeSpan LogPoll { get; init; } = TimeSpan.FromSeconds(1);

    /// <value>How long one read of the build's log may take; the default is <see cref="BuildLogTail.DefaultReadTimeout"/> (10 s).</value>
    public TimeSpan LogReadTimeout { get; init; } = BuildLogTail.DefaultReadTimeout;

    /// <value>How long after the build ends its log is read the last time from Cloud Logging; the default is <see cref="CloudLoggingLogSource.DefaultLastLinesLag"/> (2 s).</value>
    public TimeSpan CloudLoggingLag { get; init; } = CloudLoggingLogSource.DefaultLastLinesLag;

    /// <summary>The engine's build port: the lines a person reads, and the facts the audit record keeps.</summary>
    public async Task<BuildOutcome> BuildAsync(Step step, Action<string> say, CancellationToken cancellationToken)
    {
        var cloud = step as BuildImage ?? throw new PlatformException($"Cloud Run builds with Cloud Build, not '{step.KindName}'", 2);
        say($"building {cloud.Lane} with Cloud Build ({cloud.Config}, {string.Join(',', cloud.Substitutions.Select(p => $"{p.Key}={p.Value}"))}) in {cloud.Project} …");
        var report = await BuildAsync(cloud, line => say($"  {line}"), cancellationToken);
        foreach (var image in report.Images)
        {
            say($"pushed {image.Name}{(image.Digest is null ? "" : $"@{image.Digest}")}");
        }

        say($"build {report.Id} succeeded; logs: {report.LogUrl}");
        // The digest Cloud Build reports for the lane's image (Build.results.images[].digest) is what the tag is bound to.
        var pushed = report.Images.FirstOrDefault(i => i.Name == cloud.Image) ?? (report.Images.Count == 1 ? report.Images[0] : null);
        return new BuildOutcome(cloud.Image ?? cloud.Lane, new Dictionary<string, string?> { ["build"] = report.Id, ["log_url"] = report.LogUrl, ["source"] = report.Source })
        {
            Digest = pushed?.Digest,
        };
    }

    public async Task<BuildReport> BuildAsync(BuildImage step, Action<string> say, CancellationToken ct)
    {
        var project = step.Project ?? throw new PlatformException($"lane '{step.Lane}' names no Google Cloud project; set 'project' in the matrix's defaults or the lane's targets", 2);
        var build = BuildConfigReader.Read(Path.Combine(sourceDirectory, step.Config), step.Substitutions);
        var files = await SourceArchive.FilesAsync(sourceDirectory, git, ct);
        var archive = SourceArchive.Pack(sourceDirectory, files);

        var bucket = $"{project}_cloudbuild";
        if (await storage.GetBucketAsync(bucket, ct) is null)
        {
            await storage.CreateBucketAsync(project, bucket, ct);
            say($"created gs://{bucket} for build sources");
        }

        var now = time.GetUtcNow();
        var objectName = string.Create(CultureInfo.InvariantCulture, $"source/{now.ToUnixTimeSeconds()}.{now.Millisecond * 1000:000000}-{Guid.NewGuid():N}.tgz");
        var uploaded = await storage.UploadAsync(bucket, objectName, archive, "application/gzip", ct);
        var source = $"gs://{bucket}/{objectName}";
        say($"uploaded {files.Count} files ({archive.Length:N0} bytes) to {source}");

        var storageSource = new JsonObject { ["bucket"] = bucket, ["object"] = objectName };
        if (uploaded.Generation is { } generation)
        {
            storageSource["generation"] = generation;
        }

        build["source"] = new JsonObject { ["storageSource"] = storageSource };
        var operation = await builds.CreateAsync(project, build, ct);
        var finished = await FollowAsync(operation, project, say, ct);
        var report = new BuildReport(finished.Id ?? "?", finished.Status ?? "STATUS_UNKNOWN", finished.LogUrl, source, files.Count, archive.Length, finished.Results?.Images ?? []);
        if (report.Status != "SUCCESS")
        {
            var why = finished.FailureInfo?.Detail ?? finished.StatusDetail;
            throw new PlatformException($"build {report.Id} ended {report.Status}{(why is null ? "" : $": {why}")}; logs: {report.LogUrl}");
        }

        if (step.Image is { } image && !report.Images.Any(i => i.Name == image))
        {
            var pushed = report.Images.Count == 0 ? "no image" : string.Join(", ", report.Images.Select(i => i.Name));
            throw new PlatformException($"build {report.Id} succeeded but pushed {pushed}, not the lane's image {image}; make the config's 'images' list it");
        }

        return report;
    }

    /// <summary>
    /// Waits for the build to end while its log streams (<see cref="BuildLogTail"/>), each line as <c>│ LINE</c>;
    /// the log is read once more after the build ends. A log that cannot be read is one warning, never a failure.
    /// </summary>
    private async Task<CloudBuild> FollowAsync(BuildOperation operation, string project, Action<string> say, CancellationToken ct)
    {
        // The log's lines and the build's status come from two loops; one line at a time reaches the writer.
        var gate = new Lock();
        void Say(string line)
        {
            lock (gate)
            {
                say(line);
            }
        }

        BuildLogTail? tail = null;
        if (operation.Metadata?.Build is { } started)
        {
            Say($"build {started.Id} created; logs: {started.LogUrl}");
            var source = BuildLogTail.SourceFor(started, project, storage, logging, line => Say($"│ {line}"), out var why, CloudLoggingLag);
            tail = source is null ? null : new BuildLogTail(source, time, Say) { ReadTimeout = LogReadTimeout };
            Say(source is null ? why! : $"streaming the build's log from {source.Location}");
        }

        using var ended = new CancellationTokenSource();
        var following = tail?.FollowAsync(LogPoll, ended.Token, ct) ?? Task.CompletedTask;
        try
        {
            return await builds.WaitAsync(operation, b => Say($"build {b.Id}: {b.Status}"), ct);
        }
        finally
        {
            await ended.CancelAsync();
            try
            {
                await following;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The command was cancelled: what the build wait throws is what the caller sees.
            }
        }
    }
}
