using System.Net;
using System.Text;
using DeployMatrix.CloudRun.Api;
using DeployMatrix.Core.Text;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Build;

/// <summary>
/// Follows a Cloud Build's log while it runs, as <c>gcloud builds submit</c> does: the object
/// <c>log-BUILD_ID.txt</c> in the build's <c>logsBucket</c> (Cloud Build's <c>Build.logsBucket</c>: "Logs
/// file names will be of the format <c>${logs_bucket}/log-${build_id}.txt</c>"), read from where the last
/// read ended (<see cref="StorageApi.ReadFromAsync"/>: 206 new bytes, 416 nothing new, 404 no log yet).
/// Each complete line goes to the sink as it arrives, once and in order; a line split across reads waits
/// for its end (or the build's). Reading the log never fails the build: after
/// <see cref="FailuresBeforeGivingUp"/> failed reads in a row, one warning, and the log is read no more.
/// </summary>
public sealed class BuildLogTail
{
    /// <value>3 reads: a lone 429 or 503 is retried by the next poll, as gcloud's tailer does.</value>
    public const int FailuresBeforeGivingUp = 3;

    /// <value>10 s for one read: a log that hangs must not hold the build's end for the HTTP client's own timeout.</value>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private readonly StorageApi _storage;
    private readonly TimeProvider _time;
    private readonly Action<string> _line;
    private readonly Action<string> _warn;
    private readonly List<byte> _partial = [];
    private long _cursor;
    private int _failures;

    private BuildLogTail(StorageApi storage, TimeProvider time, string bucket, string objectName, Action<string> line, Action<string> warn)
    {
        _storage = storage;
        _time = time;
        Bucket = bucket;
        ObjectName = objectName;
        _line = line;
        _warn = warn;
    }

    public string Bucket { get; }

    public string ObjectName { get; }

    /// <summary>The log read no more (it failed <see cref="FailuresBeforeGivingUp"/> times in a row).</summary>
    public bool GaveUp { get; private set; }

    /// <summary>
    /// The tail of <paramref name="build"/>'s log, or null with <paramref name="why"/> when there is no log object
    /// to read: no <c>logsBucket</c>, or options.logging <c>CLOUD_LOGGING_ONLY</c>/<c>STACKDRIVER_ONLY</c> (Cloud
    /// Logging only) or <c>NONE</c> (Cloud Build's LoggingMode). <c>logsBucket</c> is <c>gs://BUCKET</c>, optionally
    /// with a folder the log is written under.
    /// </summary>
    public static BuildLogTail? For(CloudBuild build, StorageApi storage, TimeProvider time, Action<string> line, Action<string> warn, out string? why)
    {
        why = build.Options?.Logging switch
        {
            "CLOUD_LOGGING_ONLY" or "STACKDRIVER_ONLY" => "the build logs to Cloud Logging only (options.logging " + build.Options.Logging + "), so its log is not streamed here",
            "NONE" => "the build keeps no log (options.logging NONE)",
            _ when build.Id is null || string.IsNullOrEmpty(build.LogsBucket) => "the build names no logsBucket, so its log is not streamed here",
            _ => null,
        };
        if (why is not null)
        {
            return null;
        }

        var location = build.LogsBucket!.StartsWith("gs://", StringComparison.Ordinal) ? build.LogsBucket["gs://".Length..] : build.LogsBucket;
        var slash = location.IndexOf('/', StringComparison.Ordinal);
        var (bucket, folder) = slash < 0 ? (location, "") : (location[..slash], location[(slash + 1)..].TrimEnd('/'));
        var name = $"{(folder.Length == 0 ? "" : folder + "/")}log-{build.Id}.txt";
        return new BuildLogTail(storage, time, bucket, name, line, warn);
    }

    /// <summary>
    /// Reads every <paramref name="interval"/> (on the tail's clock) until <paramref name="buildEnded"/> is
    /// cancelled, then once more (the build's last lines land as it ends) and prints the unfinished last line.
    /// </summary>
    /// <exception cref="OperationCanceledException">Only when <paramref name="ct"/> (the command) is cancelled.</exception>
    public async Task FollowAsync(TimeSpan interval, CancellationToken buildEnded, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(buildEnded, ct);
        while (!buildEnded.IsCancellationRequested && !GaveUp)
        {
            await PollAsync(ct);
            try
            {
                await Task.Delay(interval, _time, wait.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // The build ended: the last read follows.
            }
        }

        await PollAsync(ct);
        if (!GaveUp && _partial.Count > 0)
        {
            Emit([.. _partial]);
            _partial.Clear();
        }
    }

    /// <summary>One read from where the last ended; the complete lines it brings go to the sink.</summary>
    public async Task PollAsync(CancellationToken ct)
    {
        if (GaveUp)
        {
            return;
        }

        string failure;
        using var timeout = new CancellationTokenSource(ReadTimeout, _time);
        using var read = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            var answer = await _storage.ReadFromAsync(Bucket, ObjectName, _cursor, read.Token);
            switch (answer.Status)
            {
                case HttpStatusCode.PartialContent:
                    Take(answer.Body);
                    return;
                case HttpStatusCode.OK:
                    // The whole object (a range ignored): only what is past what was already read is new.
                    Take(answer.Body.Length > _cursor ? answer.Body[(int)_cursor..] : []);
                    return;
                case HttpStatusCode.RequestedRangeNotSatisfiable or HttpStatusCode.NotFound:
                    _failures = 0;
                    return;
                default:
                    failure = answer.Error ?? $"{(int)answer.Status}";
                    break;
            }
        }
        catch (PlatformException e)
        {
            failure = e.Message;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            failure = $"no answer within {ReadTimeout.TotalSeconds:0} s";
        }

        if (++_failures >= FailuresBeforeGivingUp)
        {
            GaveUp = true;
            _warn($"warning: could not read the build's log gs://{Bucket}/{ObjectName} ({UntrustedText.OneLine(failure)}); it is no longer streamed, the log URL follows when the build ends");
        }
    }

    private void Take(byte[] bytes)
    {
        _failures = 0;
        _cursor += bytes.Length;
        var start = 0;
        // '\n' is never part of a multi-byte UTF-8 sequence, so splitting the bytes there never cuts a character.
        for (var i = Array.IndexOf(bytes, (byte)'\n'); i >= 0; i = Array.IndexOf(bytes, (byte)'\n', start))
        {
            _partial.AddRange(bytes.AsSpan(start, i - start));
            Emit([.. _partial]);
            _partial.Clear();
            start = i + 1;
        }

        _partial.AddRange(bytes.AsSpan(start));
    }

    private void Emit(byte[] line) => _line(UntrustedText.OneLine(Encoding.UTF8.GetString(line).TrimEnd('\r')));
}
