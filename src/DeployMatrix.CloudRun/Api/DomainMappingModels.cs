namespace DeployMatrix.CloudRun.Api;

// The parts of Cloud Run v1's DomainMapping (domains.cloudrun.com/v1) this platform reads. Names are the API's JSON names.

/// <summary>A domain mapping: <c>metadata.name</c> is the domain, <c>spec.routeName</c> the service it routes to.</summary>
public sealed record DomainMappingResource
{
    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public DomainMappingSpec? Spec { get; init; }

    public DomainMappingStatus? Status { get; init; }
}

public sealed record ObjectMeta
{
    public string? Name { get; init; }

    public string? Namespace { get; init; }
}

public sealed record DomainMappingSpec
{
    public string? RouteName { get; init; }

    public string? CertificateMode { get; init; }
}

public sealed record DomainMappingStatus
{
    public IReadOnlyList<V1Condition>? Conditions { get; init; }

    public string? MappedRouteName { get; init; }

    public string? Url { get; init; }
}

/// <summary>GoogleCloudRunV1Condition: <c>status</c> is <c>True</c>, <c>False</c> or <c>Unknown</c>.</summary>
public sealed record V1Condition
{
    public string? Type { get; init; }

    public string? Status { get; init; }

    public string? Reason { get; init; }

    public string? Message { get; init; }
}
