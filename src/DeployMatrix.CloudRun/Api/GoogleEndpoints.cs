namespace DeployMatrix.CloudRun.Api;

/// <summary>Where Google's REST APIs answer; tests point all of them at a loopback double.</summary>
public sealed record GoogleEndpoints(Uri Run, Uri CloudBuild, Uri Monitoring, Uri SecretManager, Uri Storage, Uri ArtifactRegistry)
{
    public static readonly GoogleEndpoints Production = new(
        new Uri("https://run.googleapis.com/"),
        new Uri("https://cloudbuild.googleapis.com/"),
        new Uri("https://monitoring.googleapis.com/"),
        new Uri("https://secretmanager.googleapis.com/"),
        new Uri("https://storage.googleapis.com/"),
        new Uri("https://artifactregistry.googleapis.com/"));

    public static GoogleEndpoints All(Uri baseUri) => new(baseUri, baseUri, baseUri, baseUri, baseUri, baseUri);
}

/// <summary>An OAuth 2 access token for Google's APIs (Application Default Credentials in production).</summary>
public interface ITokenSource
{
    Task<string> GetAccessTokenAsync(CancellationToken cancellationToken);
}
