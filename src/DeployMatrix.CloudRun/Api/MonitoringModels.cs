namespace DeployMatrix.CloudRun.Api;

// The parts of Cloud Monitoring v3 messages (google.monitoring.v3, google.api) that timeSeries.list
// answers with and this platform reads. Names are the API's JSON names.

public sealed record ListTimeSeriesResponse
{
    public IReadOnlyList<TimeSeries>? TimeSeries { get; init; }

    public string? NextPageToken { get; init; }
}

public sealed record TimeSeries
{
    public LabeledThing? Metric { get; init; }

    public LabeledThing? Resource { get; init; }

    public IReadOnlyList<Point>? Points { get; init; }
}

/// <summary>google.api.Metric or google.api.MonitoredResource: a type and its labels.</summary>
public sealed record LabeledThing
{
    public string? Type { get; init; }

    public Dictionary<string, string>? Labels { get; init; }
}

public sealed record Point
{
    public TypedValue? Value { get; init; }
}

public sealed record TypedValue
{
    public long? Int64Value { get; init; }

    public Distribution? DistributionValue { get; init; }
}

public sealed record Distribution
{
    public long? Count { get; init; }

    public BucketOptions? BucketOptions { get; init; }

    public IReadOnlyList<long>? BucketCounts { get; init; }
}

public sealed record BucketOptions
{
    public ExponentialBuckets? ExponentialBuckets { get; init; }

    public LinearBuckets? LinearBuckets { get; init; }

    public ExplicitBuckets? ExplicitBuckets { get; init; }
}

public sealed record ExponentialBuckets(int NumFiniteBuckets, double GrowthFactor, double Scale);

public sealed record LinearBuckets(int NumFiniteBuckets, double Width, double Offset);

public sealed record ExplicitBuckets(IReadOnlyList<double> Bounds);
