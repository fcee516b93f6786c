namespace DeployMatrix.State;

/// <summary>
/// A tag bound to content on a platform: the digest (<c>sha256:…</c>; null where the platform did not
/// say, e.g. a build run through gcloud) and the image a deploy of the tag runs.
/// </summary>
public sealed record TagBinding(string Platform, string Lane, string Tag, string? Digest, string Image, string BoundAt);

public sealed partial class StateStore
{
    /// <summary>Stores an artifact's record (once per digest); tagging it is <see cref="BindTag"/>'s job.</summary>
    public void PutArtifact(ArtifactRecord artifact) => Write(() =>
        Execute("INSERT INTO artifacts (digest, lane, path, size, created_at) VALUES (@d, @l, @p, @s, @t) ON CONFLICT (digest) DO NOTHING",
            ("@d", artifact.Digest), ("@l", artifact.Lane), ("@p", artifact.Path), ("@s", artifact.Size), ("@t", Now)));

    /// <summary>The local artifact a lane's tag is bound to, or null.</summary>
    public ArtifactRecord? FindArtifact(string lane, string tag) =>
        Query("SELECT a.digest, a.lane, a.path, a.size FROM tag_bindings t JOIN artifacts a ON a.digest = t.digest WHERE t.platform = 'local' AND t.lane = @l AND t.tag = @tag",
            r => new ArtifactRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3)), ("@l", lane), ("@tag", tag)).FirstOrDefault();

    public ArtifactRecord? FindArtifactByDigest(string digest) =>
        Query("SELECT digest, lane, path, size FROM artifacts WHERE digest = @d",
            r => new ArtifactRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3)), ("@d", digest)).FirstOrDefault();

    /// <summary>Tags bound to a digest on a platform, newest first (one content can carry several tags).</summary>
    public IReadOnlyList<string> TagsOf(string platform, string lane, string digest) =>
        Query("SELECT tag FROM tag_bindings WHERE platform = @p AND lane = @l AND digest = @d ORDER BY bound_at DESC, tag", r => r.GetString(0), ("@p", platform), ("@l", lane), ("@d", digest));

    public TagBinding? FindTag(string platform, string lane, string tag) =>
        Query("SELECT platform, lane, tag, digest, image, bound_at FROM tag_bindings WHERE platform = @p AND lane = @l AND tag = @tag",
            r => new TagBinding(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4), r.GetString(5)),
            ("@p", platform), ("@l", lane), ("@tag", tag)).FirstOrDefault();

    /// <summary>
    /// Binds a tag to content unless it is bound already, in one transaction (two builds racing for one
    /// tag: the first binds, the second reads the first's binding). A binding whose digest was unknown (a
    /// gcloud build) takes the digest when one is learnt (what the platform resolved the tag to).
    /// </summary>
    /// <returns>The binding in force afterwards: this one, or the earlier one when the tag was bound.</returns>
    public TagBinding BindTag(string platform, string lane, string tag, string? digest, string image) => Write(() =>
    {
        Execute("INSERT INTO tag_bindings (platform, lane, tag, digest, image, bound_at) VALUES (@p, @l, @tag, @d, @i, @t) ON CONFLICT (platform, lane, tag) DO UPDATE SET digest = excluded.digest WHERE tag_bindings.digest IS NULL AND excluded.digest IS NOT NULL",
            ("@p", platform), ("@l", lane), ("@tag", tag), ("@d", digest), ("@i", image), ("@t", Now));
        return FindTag(platform, lane, tag)!;
    });

    /// <summary>
    /// Re-points a tag at other content and voids every gate verdict given for the tag, in one transaction.
    /// </summary>
    /// <returns>How many verdicts were voided.</returns>
    public int RebindTag(string platform, string lane, string tag, string? digest, string image, string voidedBecause) => Write(() =>
    {
        Execute("INSERT INTO tag_bindings (platform, lane, tag, digest, image, bound_at) VALUES (@p, @l, @tag, @d, @i, @t) ON CONFLICT (platform, lane, tag) DO UPDATE SET digest = @d, image = @i, bound_at = @t",
            ("@p", platform), ("@l", lane), ("@tag", tag), ("@d", digest), ("@i", image), ("@t", Now));
        return Execute("UPDATE gates SET voided = @v WHERE tag = @tag AND voided IS NULL", ("@v", voidedBecause), ("@tag", tag));
    });
}
