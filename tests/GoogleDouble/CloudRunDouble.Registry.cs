using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// The container registry behind the double (Artifact Registry's part): tags name digests. Cloud Build
/// pushes what it built; a test can push (move) a tag as someone outside DeployMatrix would. Cloud Run
/// resolves a template's tag to its digest when it creates a revision, and the revision keeps the digest
/// ("ImageDigest holds the resolved digest for the image specified and resolved during the creation of
/// Revision … regardless of whether a tag or digest was originally specified", Run Admin API v2,
/// ContainerStatus), so a tag moved later does not change what the revision runs.
/// </summary>
public sealed partial class CloudRunDouble
{
    private readonly ConcurrentDictionary<string, string> _registry = new(StringComparer.Ordinal);

    /// <summary>Points <paramref name="image"/> (<c>REPO:TAG</c>) at <paramref name="digest"/> (<c>sha256:…</c>).</summary>
    public void Push(string image, string digest) => _registry[image] = digest;

    /// <summary>
    /// The digest a reference names now: the digest of a <c>REPO@sha256:…</c> reference, the pushed
    /// tag's, or — for a tag nobody pushed here (the example's images) — a stable digest of its name, as
    /// if it had been pushed before the test began.
    /// </summary>
    public string DigestOf(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        return at >= 0
            ? image[(at + 1)..]
            : _registry.GetOrAdd(image, i => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("pushed before the test: " + i))));
    }

    /// <summary>The reference by digest a revision reports: <c>REPO@sha256:…</c>.</summary>
    private string ResolvedImage(string image) => $"{Repository(image)}@{DigestOf(image)}";

    /// <summary>The repository of a reference, without its tag or digest.</summary>
    internal static string Repository(string image)
    {
        var name = image.Split('@')[0];
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? name[..colon] : name;
    }
}
