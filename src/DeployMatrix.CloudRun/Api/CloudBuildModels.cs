using System.Text.Json.Serialization;

namespace DeployMatrix.CloudRun.Api;

/// <summary>The operation <c>builds.create</c> answers with; its metadata carries the build (id, log URL) from the start.</summary>
public sealed record BuildOperation
{
    public string? Name { get; init; }

    public bool Done { get; init; }

    public OperationError? Error { get; init; }

    public BuildOperationMetadata? Metadata { get; init; }

    public CloudBuild? Response { get; init; }
}

public sealed record BuildOperationMetadata(CloudBuild? Build);

/// <summary>The fields of Cloud Build's <c>Build</c> the platform reads; the request is the lane's config as JSON.</summary>
public sealed record CloudBuild
{
    public string? Id { get; init; }

    /// <summary>When Cloud Build received the build: no entry of its log is older (RFC 3339).</summary>
    public DateTimeOffset? CreateTime { get; init; }

    /// <summary>QUEUED, WORKING, SUCCESS, FAILURE, INTERNAL_ERROR, TIMEOUT, CANCELLED, EXPIRED, PENDING.</summary>
    public string? Status { get; init; }

    public string? StatusDetail { get; init; }

    public string? LogUrl { get; init; }

    /// <summary><c>gs://BUCKET</c> (or a bare bucket name) the build writes <c>log-BUILD_ID.txt</c> to, unless its options log to Cloud Logging only (then its log is entries in Cloud Logging).</summary>
    public string? LogsBucket { get; init; }

    public CloudBuildOptions? Options { get; init; }

    public BuildResults? Results { get; init; }

    public FailureInfo? FailureInfo { get; init; }
}

/// <summary>The build's options the platform reads: where it logs (LoggingMode: LEGACY, GCS_ONLY, CLOUD_LOGGING_ONLY, NONE, …).</summary>
public sealed record CloudBuildOptions(string? Logging);

public sealed record BuildResults(IReadOnlyList<BuiltImage>? Images);

public sealed record BuiltImage(string? Name, string? Digest);

public sealed record FailureInfo(string? Type, string? Detail);

/// <summary>The fields of a Cloud Storage object the upload answers with.</summary>
public sealed record StorageObject
{
    public string? Bucket { get; init; }

    public string? Name { get; init; }

    public string? Generation { get; init; }
}

public sealed record StorageBucket
{
    public string? Name { get; init; }

    [JsonPropertyName("location")]
    public string? Location { get; init; }
}
