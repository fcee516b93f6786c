using System.Globalization;
using DeployMatrix.CloudRun.Api;
using DeployMatrix.Core.Text;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Build;

/// <summary>
/// Follows a Cloud Build's log while it runs, as <c>gcloud builds submit</c> does, from wherever the build writes it
/// (<see cref="IBuildLogSource"/>: its log object in Cloud Storage, or its entries in Cloud Logging): a read every
/// poll, each bounded by <see cref="ReadTimeout"/>, each new line to the sink once and in order. Reading the log
/// never fails the build: after <see cref="FailuresBeforeGivingUp"/> failed reads in a row, one warning, and the log
/// is read no more. When the build ends, a read in flight is dropped and one last read follows (after the source's
/// <see cref="IBuildLogSource.LastLinesLag"/>), so the log holds the build's end back by at most that lag and one
/// <see cref="ReadTimeout"/>.
/// </summary>
public sealed class BuildLogTail(IBuildLogSource source, TimeProvider time, Action<string> warn)
{
    /// <value>3 reads: a lone 429 or 503 is retried by the next poll, as gcloud's tailer does.</value>
    public const int FailuresBeforeGivingUp = 3;

    /// <value>10 s for one read: a log that hangs must not hold the build's end for the HTTP client's own timeout.</value>
    public static readonly TimeSpan DefaultReadTimeout = TimeSpan.FromSeconds(10);

    private int _failures;

    public IBuildLogSource Source { get; } = source;

    /// <value>How long one read may take, on the tail's clock; the default is <see cref="DefaultReadTimeout"/> (10 s).</value>
    public TimeSpan ReadTimeout { get; init; } = DefaultReadTimeout;

    /// <summary>The log read no more (it failed <see cref="FailuresBeforeGivingUp"/> times in a row).</summary>
    public bool GaveUp { get; private set; }

    /// <summary>
    /// Where <paramref name="build"/>'s log is read from, by its options.logging (Cloud Build's LoggingMode, as
    /// gcloud's <c>CloudBuildClient.Stream</c> chooses): <c>CLOUD_LOGGING_ONLY</c>/<c>STACKDRIVER_ONLY</c> from Cloud
    /// Logging in <c>projects/PROJECT</c>; <c>NONE</c> nowhere; otherwise the log object in its <c>logsBucket</c>.
    /// Null with <paramref name="why"/> when there is nothing to read.
    /// </summary>
    /// <param name="cloudLoggingLag">The wait for Cloud Logging's last lines; <see cref="CloudLoggingLogSource.DefaultLastLinesLag"/> by default.</param>
    public static IBuildLogSource? SourceFor(CloudBuild build, string project, StorageApi storage, LoggingApi logging, Action<string> line, out string? why, TimeSpan? cloudLoggingLag = null)
    {
        IBuildLogSource? found = build.Options?.Logging switch
        {
            _ when build.Id is null => null,
            "CLOUD_LOGGING_ONLY" or "STACKDRIVER_ONLY" => new CloudLoggingLogSource(logging, project, build.Id, build.CreateTime, line)
            {
                LastLinesLag = cloudLoggingLag ?? CloudLoggingLogSource.DefaultLastLinesLag,
            },
            "NONE" => null,
            _ => StorageLogSource.For(build, storage, line),
        };
        why = found is not null ? null
            : build.Options?.Logging == "NONE" ? "the build keeps no log (options.logging NONE)"
            : "the build names no logsBucket, so its log is not streamed here";
        return found;
    }

    /// <summary>
    /// Reads every <paramref name="interval"/> (on the tail's clock) until <paramref name="buildEnded"/> is
    /// cancelled, then once more (the build's last lines land as it ends, or the source's lag after) and hands out what
    /// the source held back.
    /// </summary>
    /// <exception cref="OperationCanceledException">Only when <paramref name="ct"/> (the command) is cancelled.</exception>
    public async Task FollowAsync(TimeSpan interval, CancellationToken buildEnded, CancellationToken ct)
    {
        using var running = CancellationTokenSource.CreateLinkedTokenSource(buildEnded, ct);
        while (!buildEnded.IsCancellationRequested && !GaveUp)
        {
            try
            {
                await ReadAsync(running.Token);
                await Task.Delay(interval, time, running.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // The build ended: a read in flight is dropped, and the last read starts where it would have.
            }
        }

        if (!GaveUp && Source.LastLinesLag > TimeSpan.Zero)
        {
            await Task.Delay(Source.LastLinesLag, time, ct);
        }

        await ReadAsync(ct);
        if (!GaveUp)
        {
            Source.Flush();
        }
    }

    /// <summary>One read from where the last ended, bounded by <see cref="ReadTimeout"/>.</summary>
    /// <exception cref="OperationCanceledException">Only when <paramref name="ct"/> is cancelled.</exception>
    public Task PollAsync(CancellationToken ct) => ReadAsync(ct);

    private async Task ReadAsync(CancellationToken stop)
    {
        if (GaveUp)
        {
            return;
        }

        string? failure;
        using var timeout = new CancellationTokenSource(ReadTimeout, time);
        using var read = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        try
        {
            failure = await Source.ReadAsync(read.Token);
        }
        catch (PlatformException e)
        {
            failure = e.Message;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            failure = string.Create(CultureInfo.InvariantCulture, $"no answer within {ReadTimeout.TotalSeconds:0.###} s");
        }

        if (failure is null)
        {
            _failures = 0;
            return;
        }

        if (++_failures >= FailuresBeforeGivingUp)
        {
            GaveUp = true;
            warn($"warning: could not read the build's log {Source.Location} ({UntrustedText.OneLine(failure)}); it is no longer streamed, the log URL follows when the build ends");
        }
    }
}
