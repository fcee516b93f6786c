namespace DeployMatrix.State;

public sealed partial class StateStore
{
    public void PutArtifact(ArtifactRecord artifact, string tag) => Write(() =>
    {
        Execute("INSERT OR IGNORE INTO artifacts (digest, lane, path, size, created_at) VALUES ($d, $l, $p, $s, $t)",
            ("$d", artifact.Digest), ("$l", artifact.Lane), ("$p", artifact.Path), ("$s", artifact.Size), ("$t", Now));
        return Execute("INSERT INTO artifact_tags (lane, tag, digest, created_at) VALUES ($l, $tag, $d, $t) ON CONFLICT (lane, tag) DO UPDATE SET digest = $d, created_at = $t",
            ("$l", artifact.Lane), ("$tag", tag), ("$d", artifact.Digest), ("$t", Now));
    });

    public ArtifactRecord? FindArtifact(string lane, string tag) =>
        Query("SELECT a.digest, a.lane, a.path, a.size FROM artifact_tags t JOIN artifacts a ON a.digest = t.digest WHERE t.lane = $l AND t.tag = $tag",
            r => new ArtifactRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3)), ("$l", lane), ("$tag", tag)).FirstOrDefault();

    public ArtifactRecord? FindArtifactByDigest(string digest) =>
        Query("SELECT digest, lane, path, size FROM artifacts WHERE digest = $d",
            r => new ArtifactRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3)), ("$d", digest)).FirstOrDefault();

    /// <summary>Tags of an artifact, newest first (a digest can carry several tags).</summary>
    public IReadOnlyList<string> TagsOf(string lane, string digest) =>
        Query("SELECT tag FROM artifact_tags WHERE lane = $l AND digest = $d ORDER BY created_at DESC", r => r.GetString(0), ("$l", lane), ("$d", digest));
}
