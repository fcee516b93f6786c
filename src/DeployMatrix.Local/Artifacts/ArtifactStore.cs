using System.Security.Cryptography;
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
        string digest;
        using (var stream = File.OpenRead(file))
        {
            digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
        }

        var target = Path.Combine(paths.Artifacts, "sha256", digest["sha256:".Length..]);
        if (!File.Exists(target))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var temp = target + $".{Environment.ProcessId}.tmp";
            File.Copy(file, temp, overwrite: true);
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            File.Move(temp, target, overwrite: true);
        }

        var record = new ArtifactRecord(digest, lane, target, new FileInfo(target).Length);
        state.PutArtifact(record);
        return record;
    }

    public static string ImageName(string lane, string digest) => $"{Scheme}{lane}@{digest}";

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
}
