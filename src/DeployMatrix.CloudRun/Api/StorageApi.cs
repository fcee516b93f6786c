namespace DeployMatrix.CloudRun.Api;

/// <summary>Cloud Storage JSON API: the source upload a Cloud Build needs, into a bucket created on first use.</summary>
public sealed class StorageApi(GoogleHttp http, GoogleEndpoints endpoints)
{
    public Task<StorageBucket?> GetBucketAsync(string bucket, CancellationToken ct) =>
        http.GetOrNullAsync<StorageBucket>(new Uri(endpoints.Storage, $"storage/v1/b/{Uri.EscapeDataString(bucket)}"), ct);

    public Task<StorageBucket> CreateBucketAsync(string project, string bucket, CancellationToken ct) =>
        http.SendAsync<StorageBucket>(HttpMethod.Post, new Uri(endpoints.Storage, $"storage/v1/b?project={Uri.EscapeDataString(project)}"), new StorageBucket { Name = bucket }, ct);

    /// <summary>A simple media upload (one request): source archives are small enough.</summary>
    public Task<StorageObject> UploadAsync(string bucket, string name, byte[] content, string contentType, CancellationToken ct) =>
        http.UploadAsync<StorageObject>(
            new Uri(endpoints.Storage, $"upload/storage/v1/b/{Uri.EscapeDataString(bucket)}/o?uploadType=media&name={Uri.EscapeDataString(name)}"),
            content, contentType, ct);
}
