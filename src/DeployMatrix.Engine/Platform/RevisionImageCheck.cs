namespace DeployMatrix.Engine.Platform;

/// <summary>
/// Whether a new revision runs what was asked. A platform may report a revision by digest — Cloud Run
/// resolves a template's tag when it creates the revision and keeps the digest ("regardless of whether
/// a tag or digest was originally specified", Run Admin API v2, ContainerStatus.image_digest) — so the
/// same reference is not required: the same repository is, and, where the tag is bound, its digest.
/// </summary>
public static class RevisionImageCheck
{
    /// <param name="revision">The revision as the platform reports it; null when it reports none.</param>
    /// <param name="expected">The requested reference (<c>REPO:TAG</c>, or the local platform's <c>local://…@sha256:…</c>).</param>
    /// <param name="boundDigest">The digest the tag is bound to (<c>sha256:…</c>); null when unknown.</param>
    /// <returns>Null when it runs what was asked; else why not, for people.</returns>
    public static string? Mismatch(RevisionInfo? revision, string expected, string? boundDigest)
    {
        if (revision is null)
        {
            return $"runs nothing, not the requested {expected}";
        }

        var sameReference = revision.Image == expected;
        var resolvedFromIt = revision.Digest is not null && !expected.Contains('@', StringComparison.Ordinal) && ImageReference.Parse(revision.Image).Repository == ImageReference.Parse(expected).Repository;
        if (!sameReference && !resolvedFromIt)
        {
            return $"runs {revision.Image}, not the requested {expected}";
        }

        return boundDigest is not null && revision.Digest is not null && revision.Digest != boundDigest
            ? $"runs {revision.Image}, not the content {expected} is bound to ({boundDigest}); the tag was pushed again outside DeployMatrix"
            : null;
    }
}
