using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Releases;

/// <summary>
/// What a release is: its content digest (<c>sha256:…</c>) where known, else the image reference it is
/// deployed as. Two releases are the same when their digests are equal, or — where either digest is
/// unknown (a tag built outside DeployMatrix on Cloud Run, a gcloud build) — their images are.
/// </summary>
public sealed record ReleaseContent(string? Digest, string? Image)
{
    public bool SameAs(string? digest, string? image) =>
        Digest is not null && digest is not null ? Digest == digest : Image is not null && Image == image;

    /// <summary>How evidence and refusals name it: the digest, else the image.</summary>
    public override string ToString() => Digest ?? Image ?? "unknown content";

    /// <summary>
    /// The content a tag names for a lane on the target's platform: the tag's binding, or on Cloud Run,
    /// where a tag may come from a registry DeployMatrix did not build, the image the tag fills in.
    /// </summary>
    /// <returns>Null when the tag names nothing there (never built on the local platform).</returns>
    public static ReleaseContent? Of(StateStore state, ResolvedTarget target, string tag) =>
        state.FindTag(PlatformNames.Name(target.Platform), target.Lane, tag) is { } bound
            ? new ReleaseContent(bound.Digest, bound.Image)
            : target.Platform == PlatformKind.CloudRun && target.ImageTemplate is not null
                ? new ReleaseContent(null, target.ImageFor(tag))
                : null;
}
