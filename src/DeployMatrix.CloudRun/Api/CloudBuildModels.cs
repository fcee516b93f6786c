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

    /// <summary>QUEUED, WORKING, SUCCESS, FAILURE, INTERNAL_ERROR, TIMEOUT, CANCELLED, EXPIRED, PENDING.</summary>
    public string? Status { get; init; }

    public string? StatusDetail { get; init; }

    public string? LogUrl { get; init; }

    public BuildResults? Results { get; init; }

    public FailureInfo? FailureInfo { get; init; }
}

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
