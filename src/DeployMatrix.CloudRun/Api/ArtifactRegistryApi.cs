using System.Text.RegularExpressions;

namespace DeployMatrix.CloudRun.Api;

/// <summary>
/// The Artifact Registry API v1 read a deploy's preflight makes: whether the image a tag names exists, before
/// Cloud Run is asked to run it — <c>GET /v1/{name=projects/*/locations/*/repositories/*/packages/*/tags/*}</c>
/// (<c>projects.locations.repositories.packages.tags.get</c>) for <c>IMAGE:TAG</c>, and
/// <c>GET /v1/{name=projects/*/locations/*/repositories/*/dockerImages/*}</c> for <c>IMAGE@sha256:…</c>.
/// </summary>
public sealed partial class ArtifactRegistryApi(GoogleHttp http, GoogleEndpoints endpoints)
{
    /// <summary>An Artifact Registry Docker image reference, <c>LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE</c> with a tag or a digest.</summary>
    public sealed record ImageName(string Location, string Project, string Repository, string Package, string? Tag, string? Digest)
    {
        /// <summary>
        /// The API's resource name: a tag (<c>…/packages/PACKAGE/tags/TAG</c>) or a Docker image by digest
        /// (<c>…/dockerImages/PACKAGE@sha256:…</c>); a package name's '/' is escaped as %2F, as the API reference's
        /// examples write nested images.
        /// </summary>
        public string Resource
        {
            get
            {
                var repository = $"projects/{Project}/locations/{Location}/repositories/{Repository}";
                var package = Uri.EscapeDataString(Package);
                return Digest is { } digest ? $"{repository}/dockerImages/{package}@{digest}" : $"{repository}/packages/{package}/tags/{Uri.EscapeDataString(Tag ?? "latest")}";
            }
        }
    }

    /// <summary>The parts of an Artifact Registry Docker image reference, or null for an image hosted elsewhere (Docker Hub, gcr.io).</summary>
    public static ImageName? Parse(string image)
    {
        var match = Reference().Match(image);
        return match.Success
            ? new ImageName(match.Groups["location"].Value, match.Groups["project"].Value, match.Groups["repository"].Value, match.Groups["package"].Value,
                match.Groups["tag"].Success ? match.Groups["tag"].Value : null, match.Groups["digest"].Success ? match.Groups["digest"].Value : null)
            : null;
    }

    /// <summary>Whether the tag (or digest) exists: true when Artifact Registry answers it, false on 404.</summary>
    /// <exception cref="GoogleApiException">Any other refusal (403: the caller may not read the repository).</exception>
    public async Task<bool> ExistsAsync(ImageName image, CancellationToken ct) =>
        image.Digest is null
            ? await http.GetOrNullAsync<RegistryTag>(Url(image.Resource), ct) is not null
            : await http.GetOrNullAsync<RegistryDockerImage>(Url(image.Resource), ct) is not null;

    private Uri Url(string resource) => new(endpoints.ArtifactRegistry, $"v1/{resource}");

    [GeneratedRegex(@"^(?<location>[a-z0-9-]+)-docker\.pkg\.dev/(?<project>[a-z][a-z0-9-]{4,28}[a-z0-9]|[a-z0-9.-]+:[a-z][a-z0-9-]+)/(?<repository>[a-z0-9._-]+)/(?<package>[^:@]+?)(:(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(@(?<digest>sha256:[0-9a-f]{64}))?$")]
    private static partial Regex Reference();
}

/// <summary>google.devtools.artifactregistry.v1.Tag: <c>name</c>, and <c>version</c>, the version (digest) it points at.</summary>
public sealed record RegistryTag(string? Name, string? Version);

/// <summary>google.devtools.artifactregistry.v1.DockerImage, the fields read here.</summary>
public sealed record RegistryDockerImage(string? Name, string? Uri);
