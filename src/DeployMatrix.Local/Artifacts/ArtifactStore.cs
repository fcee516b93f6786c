using System.Security.Cryptography;
using DeployMatrix.Engine.Files;
using DeployMatrix.State;

namespace DeployMatrix.Local.Artifacts;

/// <summary>
/// Build outputs stored by content: <c>artifacts/sha256/HEX</c>, named <c>local://LANE@sha256:HEX</c>.
/// The same bytes always get the same digest and are stored once. Tags are the engine's to bind
/// (<see cref="StateStore.BindTag"/>, platform <c>local</c>): storing content never moves a tag.
/// </summary>
public sealed class ArtifactStore(LocalPaths paths, StateStore state)
{
    public const string Scheme = "local://";

    public ArtifactRecord Store(string lane, string file)
    {
        var digest = DigestOf(file);
        var target = Path.Combine(paths.Artifacts, "sha256", digest["sha256:".Length..]);
        if (!File.Exists(target))
        {
            // Through a new randomly named file, never a planted link; stored read-and-execute only, as built.
            using var source = File.OpenRead(file);
            SafeFile.CreateFolder(Path.GetDirectoryName(target)!);
            SafeFile.Write(target, source, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        var record = new ArtifactRecord(digest, lane, target, new FileInfo(target).Length);
        state.PutArtifact(record);
        return record;
    }

    public static string ImageName(string lane, string digest) => $"{Scheme}{lane}@{digest}";

    /// <summary>
    /// Whether <paramref name="executable"/> may be launched as the artifact <paramref name="digest"/>
    /// (<c>sha256:</c> and 64 lowercase hex digits): it must be the file this store keeps under that digest
    /// (<c>artifacts/sha256/HEX</c>, a regular file, not a link) and its content must still hash to it. A row
    /// of state.db names what to run but is not trusted as code: one rewritten to point elsewhere (say
    /// <c>/bin/sh</c>), or a stored file changed since it was built, is refused. The file is read whole once.
    /// </summary>
    /// <returns>null when it may be launched, else why not, in one line.</returns>
    public string? CheckLaunchable(string executable, string digest)
    {
        const string prefix = "sha256:";
        var hex = digest.StartsWith(prefix, StringComparison.Ordinal) ? digest[prefix.Length..] : "";
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigitLower))
        {
            return $"'{digest}' is not a sha256 digest of a stored artifact";
        }

        var stored = Path.Combine(paths.Artifacts, "sha256", hex);
        if (!string.Equals(Path.GetFullPath(executable), Path.GetFullPath(stored), StringComparison.Ordinal))
        {
            return $"{executable} is not the stored artifact of {digest} ({stored})";
        }

        var file = new FileInfo(stored);
        if (!file.Exists)
        {
            return $"the stored artifact of {digest} is missing at {stored}; build it again";
        }

        if (file.LinkTarget is not null)
        {
            return $"the stored artifact {stored} is a link (to {file.LinkTarget}), not the built file; build it again";
        }

        var actual = DigestOf(stored);
        return actual == digest ? null : $"the stored artifact {stored} was changed after it was built (its content is {actual}, not {digest}); build it again";
    }

    /// <summary>Resolves <c>local://LANE:TAG</c> or <c>local://LANE@sha256:…</c> to a stored artifact, or null.</summary>
    public ArtifactRecord? Resolve(string image)
    {
        if (!image.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = image[Scheme.Length..];
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at > 0)
        {
            var byDigest = state.FindArtifactByDigest(rest[(at + 1)..]);
            return byDigest is not null && File.Exists(byDigest.Path) ? byDigest : null;
        }

        var colon = rest.LastIndexOf(':');
        if (colon <= 0)
        {
            return null;
        }

        var found = state.FindArtifact(rest[..colon], rest[(colon + 1)..]);
        return found is not null && File.Exists(found.Path) ? found : null;
    }

    /// <summary>A file's content digest, <c>sha256:</c> and 64 lowercase hex digits (the OCI form).</summary>
    private static string DigestOf(string file)
    {
        using var stream = File.OpenRead(file);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
