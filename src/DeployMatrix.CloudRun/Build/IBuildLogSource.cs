namespace DeployMatrix.CloudRun.Build;

/// <summary>
/// Where a running build's log is read from, one read at a time: the log object in Cloud Storage
/// (<see cref="StorageLogSource"/>) or the build's entries in Cloud Logging (<see cref="CloudLoggingLogSource"/>).
/// <see cref="BuildLogTail"/> polls it, bounds each read in time and gives up after failures in a row, whichever it is.
/// </summary>
public interface IBuildLogSource
{
    /// <summary>Where the log is read, as a person names it (<c>gs://BUCKET/log-ID.txt</c>, or the Cloud Logging log).</summary>
    string Location { get; }

    /// <summary>
    /// How long after the build ends its last lines may take to become readable, waited before the last read: none for
    /// the log object (Cloud Build finishes writing it before it marks the build done), a little for Cloud Logging.
    /// </summary>
    TimeSpan LastLinesLag { get; }

    /// <summary>Reads what is new since the last read; each new complete line goes to the source's sink, once and in order.</summary>
    /// <returns>Null when the read succeeded (also when nothing was new); else why it failed, one line.</returns>
    /// <exception cref="Engine.Platform.PlatformException">No answer (a broken connection).</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled; what was read before stays read.</exception>
    Task<string?> ReadAsync(CancellationToken ct);

    /// <summary>The build ended and its last read is done: what is held back (an unfinished last line) goes to the sink.</summary>
    void Flush();
}
