using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Tests.Platform;

/// <summary>A new revision runs what was asked, whether the platform reports it by the requested reference or by the digest it resolved.</summary>
public sealed class RevisionImageCheckTests
{
    private const string Tagged = "us-central1-docker.pkg.dev/p/runtime/runtime:bbb2222";
    private const string Bound = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string Other = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    [Fact]
    public void TheRequestedReference_Passes() =>
        Assert.Null(RevisionImageCheck.Mismatch(new RevisionInfo("r", Tagged, "ready"), Tagged, Bound));

    [Fact]
    public void TheTagResolvedToItsBoundDigest_Passes() =>
        Assert.Null(RevisionImageCheck.Mismatch(new RevisionInfo("r", $"us-central1-docker.pkg.dev/p/runtime/runtime@{Bound}", "ready") { Digest = Bound }, Tagged, Bound));

    [Fact]
    public void TheTagResolvedWhereNoDigestIsBoundYet_Passes() =>
        Assert.Null(RevisionImageCheck.Mismatch(new RevisionInfo("r", $"us-central1-docker.pkg.dev/p/runtime/runtime@{Other}", "ready") { Digest = Other }, Tagged, null));

    [Fact]
    public void TheTagResolvedToOtherContent_FailsNamingBoth() =>
        Assert.Equal(
            $"runs us-central1-docker.pkg.dev/p/runtime/runtime@{Other}, not the content {Tagged} is bound to ({Bound}); the tag was pushed again outside DeployMatrix",
            RevisionImageCheck.Mismatch(new RevisionInfo("r", $"us-central1-docker.pkg.dev/p/runtime/runtime@{Other}", "ready") { Digest = Other }, Tagged, Bound));

    [Theory]
    [InlineData("us-central1-docker.pkg.dev/p/runtime/other@sha256:2222222222222222222222222222222222222222222222222222222222222222")]
    [InlineData("us-central1-docker.pkg.dev/p/runtime/runtime:ccc3333")]
    public void AnotherImage_Fails(string runs) =>
        Assert.Equal($"runs {runs}, not the requested {Tagged}", RevisionImageCheck.Mismatch(new RevisionInfo("r", runs, "ready") { Digest = CloudRunDigest(runs) }, Tagged, null));

    [Fact]
    public void NoRevision_Fails() => Assert.Equal($"runs nothing, not the requested {Tagged}", RevisionImageCheck.Mismatch(null, Tagged, null));

    [Theory]
    [InlineData("host:5000/a/b:tag", "host:5000/a/b", "tag", null)]
    [InlineData("host:5000/a/b@sha256:00", "host:5000/a/b", null, "sha256:00")]
    [InlineData("host:5000/a/b:tag@sha256:00", "host:5000/a/b", "tag", "sha256:00")]
    [InlineData("host:5000/a/b", "host:5000/a/b", null, null)]
    public void AReference_SplitsIntoRepositoryTagAndDigest(string image, string repository, string? tag, string? digest) =>
        Assert.Equal(new ImageReference(repository, tag, digest), ImageReference.Parse(image));

    private static string? CloudRunDigest(string image) => ImageReference.Parse(image).Digest;
}
