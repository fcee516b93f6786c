namespace DeployMatrix.Engine.Platform;

/// <summary>
/// A container image reference split into its parts: <c>REPOSITORY[:TAG][@DIGEST]</c> (the distribution
/// reference grammar Docker and Artifact Registry use; a registry's port, <c>host:5000/…</c>, is part of
/// the repository because a tag never contains '/'). Parsed here rather than by a library: the
/// grammar's three-way split is all that is needed, and no served .NET package offers it alone.
/// </summary>
public sealed record ImageReference(string Repository, string? Tag, string? Digest)
{
    public static ImageReference Parse(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        var (name, digest) = at >= 0 ? (image[..at], image[(at + 1)..]) : (image, null);
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? new(name[..colon], name[(colon + 1)..], digest) : new(name, null, digest);
    }
}
