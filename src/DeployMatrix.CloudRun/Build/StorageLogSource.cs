using System.Net;
using System.Text;
using DeployMatrix.CloudRun.Api;
using DeployMatrix.Core.Text;

namespace DeployMatrix.CloudRun.Build;

/// <summary>
/// A build's log object, as <c>gcloud builds submit</c> follows it (googlecloudsdk <c>GCSLogTailer</c>): the object
/// <c>log-BUILD_ID.txt</c> in the build's <c>logsBucket</c> (Cloud Build's <c>Build.logsBucket</c>: "Logs file names
/// will be of the format <c>${logs_bucket}/log-${build_id}.txt</c>"), read from where the last read ended
/// (<see cref="StorageApi.ReadFromAsync"/>: 206 new bytes, 416 nothing new, 404 no log yet). A line split across
/// reads waits for its end (or the build's, <see cref="Flush"/>).
/// </summary>
public sealed class StorageLogSource(StorageApi storage, string bucket, string objectName, Action<string> line) : IBuildLogSource
{
    private readonly List<byte> _partial = [];
    private long _cursor;

    public string Bucket { get; } = bucket;

    public string ObjectName { get; } = objectName;

    public string Location => $"gs://{Bucket}/{ObjectName}";

    /// <value>None: "Cloud Build waits for logs to finish pushing before marking the build complete" (gcloud's <c>GCSLogTailer</c>).</value>
    public TimeSpan LastLinesLag => TimeSpan.Zero;

    /// <summary>
    /// The log object of <paramref name="build"/>: <c>logsBucket</c> is <c>gs://BUCKET</c>, optionally with a folder
    /// the log is written under; null when the build names no <c>logsBucket</c>.
    /// </summary>
    public static StorageLogSource? For(CloudBuild build, StorageApi storage, Action<string> line)
    {
        if (build.Id is null || string.IsNullOrEmpty(build.LogsBucket))
        {
            return null;
        }

        var location = build.LogsBucket.StartsWith("gs://", StringComparison.Ordinal) ? build.LogsBucket["gs://".Length..] : build.LogsBucket;
        var slash = location.IndexOf('/', StringComparison.Ordinal);
        var (bucket, folder) = slash < 0 ? (location, "") : (location[..slash], location[(slash + 1)..].TrimEnd('/'));
        return new StorageLogSource(storage, bucket, $"{(folder.Length == 0 ? "" : folder + "/")}log-{build.Id}.txt", line);
    }

    public async Task<string?> ReadAsync(CancellationToken ct)
    {
        var answer = await storage.ReadFromAsync(Bucket, ObjectName, _cursor, ct);
        switch (answer.Status)
        {
            case HttpStatusCode.PartialContent:
                Take(answer.Body);
                return null;
            case HttpStatusCode.OK:
                // The whole object (a range ignored): only what is past what was already read is new.
                Take(answer.Body.Length > _cursor ? answer.Body[(int)_cursor..] : []);
                return null;
            case HttpStatusCode.RequestedRangeNotSatisfiable or HttpStatusCode.NotFound:
                return null;
            default:
                return answer.Error ?? $"{(int)answer.Status}";
        }
    }

    public void Flush()
    {
        if (_partial.Count > 0)
        {
            Emit([.. _partial]);
            _partial.Clear();
        }
    }

    private void Take(byte[] bytes)
    {
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

    private void Emit(byte[] text) => line(UntrustedText.OneLine(Encoding.UTF8.GetString(text).TrimEnd('\r')));
}
