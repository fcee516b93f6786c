namespace DeployMatrix.CloudRun.Api;

/// <summary>Where Google's REST APIs answer; tests point all of them at a loopback double.</summary>
public sealed record GoogleEndpoints(Uri Run, Uri CloudBuild, Uri Monitoring, Uri SecretManager, Uri Storage, Uri ArtifactRegistry)
{
    /// <value>Cloud Logging v2; the default is <c>https://logging.googleapis.com/</c>.</value>
    public Uri Logging { get; init; } = new("https://logging.googleapis.com/");

    /// <summary>One base for Cloud Run's v1 API in every region (a test double); null: each region's own endpoint.</summary>
    public Uri? RunV1 { get; init; }

    /// <summary>
    /// Cloud Run's v1 API for <paramref name="region"/>: <c>https://REGION-run.googleapis.com/</c>, where its
    /// namespaced resources (domain mappings) are served (Cloud Run Admin API v1, "Service endpoint").
    /// </summary>
    public Uri RunV1In(string region) => RunV1 ?? new Uri($"https://{Uri.EscapeDataString(region)}-run.googleapis.com/");

    public static readonly GoogleEndpoints Production = new(
        new Uri("https://run.googleapis.com/"),
        new Uri("https://cloudbuild.googleapis.com/"),
        new Uri("https://monitoring.googleapis.com/"),
        new Uri("https://secretmanager.googleapis.com/"),
        new Uri("https://storage.googleapis.com/"),
        new Uri("https://artifactregistry.googleapis.com/"));

    public static GoogleEndpoints All(Uri baseUri) => new(baseUri, baseUri, baseUri, baseUri, baseUri, baseUri) { Logging = baseUri, RunV1 = baseUri };
}

/// <summary>An OAuth 2 access token for Google's APIs (Application Default Credentials in production).</summary>
public interface ITokenSource
{
    Task<string> GetAccessTokenAsync(CancellationToken cancellationToken);
}
