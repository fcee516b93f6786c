using System.Net;
using DeployMatrix.Engine.Platform;
using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;

namespace DeployMatrix.CloudRun.Api;

/// <summary>
/// Cloud Storage through Google's own client (Google.Cloud.Storage.V1): the source upload a Cloud Build
/// needs, into a bucket created on first use. The library uploads resumably and sends the content's
/// CRC32C with it, so Cloud Storage refuses an object that did not arrive as it was sent. A growing
/// object (a build's log) is read from an offset over the JSON API itself, one request a poll.
/// </summary>
public sealed class StorageApi(ITokenSource tokens, GoogleEndpoints endpoints, GoogleHttp http)
{
    /// <summary>
    /// The bytes of <c>gs://BUCKET/NAME</c> from <paramref name="offset"/> on: <c>objects.get</c> with
    /// <c>alt=media</c> and <c>Range: bytes=OFFSET-</c>, once (Cloud Storage JSON API, "Objects: get";
    /// RFC 9110 §14.2). Cloud Storage answers 206 with the bytes from the offset, 416 when the object holds no byte
    /// past it, 404 while it does not exist; 200 is the whole object (a server that ignored the range).
    /// </summary>
    /// <exception cref="PlatformException">No answer at all; an error answer is returned, not thrown.</exception>
    public Task<MediaAnswer> ReadFromAsync(string bucket, string name, long offset, CancellationToken ct) =>
        http.GetMediaOnceAsync(new Uri(endpoints.Storage, $"storage/v1/b/{Uri.EscapeDataString(bucket)}/o/{Uri.EscapeDataString(name)}?alt=media"),
            new System.Net.Http.Headers.RangeHeaderValue(offset, null), ct);

    public async Task<StorageBucket?> GetBucketAsync(string bucket, CancellationToken ct)
    {
        var client = await ClientAsync(ct);
        try
        {
            var found = await client.GetBucketAsync(bucket, cancellationToken: ct);
            return new StorageBucket { Name = found.Name, Location = found.Location };
        }
        catch (Google.GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Google.GoogleApiException e)
        {
            throw Failure("reading bucket " + bucket, e);
        }
        catch (Exception e) when (Unreachable(e, ct))
        {
            throw NotReached("reading bucket " + bucket, e);
        }
    }

    public async Task<StorageBucket> CreateBucketAsync(string project, string bucket, CancellationToken ct)
    {
        var client = await ClientAsync(ct);
        try
        {
            var created = await client.CreateBucketAsync(project, bucket, cancellationToken: ct);
            return new StorageBucket { Name = created.Name, Location = created.Location };
        }
        catch (Google.GoogleApiException e)
        {
            throw Failure("creating bucket " + bucket, e);
        }
        catch (Exception e) when (Unreachable(e, ct))
        {
            throw NotReached("creating bucket " + bucket, e);
        }
    }

    /// <summary>Uploads <paramref name="content"/> as <c>gs://BUCKET/NAME</c>, resumably, with its CRC32C for Cloud Storage to check.</summary>
    /// <exception cref="PlatformException">Storage refused it (e.g. 400 when what arrived does not match the checksum).</exception>
    public async Task<StorageObject> UploadAsync(string bucket, string name, byte[] content, string contentType, CancellationToken ct)
    {
        var client = await ClientAsync(ct);
        try
        {
            using var stream = new MemoryStream(content, writable: false);
            var stored = await client.UploadObjectAsync(bucket, name, contentType, stream,
                new UploadObjectOptions { UploadValidationMode = UploadValidationMode.RejectAndThrow }, ct);
            return new StorageObject { Bucket = stored.Bucket, Name = stored.Name, Generation = stored.Generation?.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }
        catch (Google.GoogleApiException e)
        {
            throw Failure($"uploading gs://{bucket}/{name}", e);
        }
        catch (Exception e) when (Unreachable(e, ct))
        {
            throw NotReached($"uploading gs://{bucket}/{name}", e);
        }
    }

    /// <summary>A client on a token fresh from the connection's credentials (an upload is over in minutes, well within its life).</summary>
    private async Task<StorageClient> ClientAsync(CancellationToken ct) => await new StorageClientBuilder
    {
        BaseUri = new Uri(endpoints.Storage, "storage/v1/").ToString(),
        Credential = GoogleCredential.FromAccessToken(await tokens.GetAccessTokenAsync(ct)),
    }.BuildAsync(ct);

    /// <summary>A broken connection, or the client's own timeout (not the command being cancelled).</summary>
    private static bool Unreachable(Exception e, CancellationToken ct) => e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested);

    private PlatformException NotReached(string what, Exception e) =>
        new($"{endpoints.Storage.Host} did not answer while {what}: {(e is TaskCanceledException ? "timed out" : e.Message)}".ReplaceLineEndings(" "));

    private static PlatformException Failure(string what, Google.GoogleApiException e) =>
        new($"Cloud Storage refused {what}: {(int)e.HttpStatusCode} {e.Error?.Message ?? e.Message}".ReplaceLineEndings(" "));
}
