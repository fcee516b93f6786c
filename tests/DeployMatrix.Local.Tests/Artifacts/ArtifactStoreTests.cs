using DeployMatrix.Local.Artifacts;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Local.Tests.Artifacts;

public sealed class ArtifactStoreTests
{
    [Fact]
    public void IdenticalOutput_GetsTheSameDigest_AndIsStoredOnce()
    {
        using var dir = new TempDir();
        using var state = StateStore.Open(Path.Combine(dir.Path, "state.db"), TimeProvider.System);
        var store = new ArtifactStore(new LocalPaths(dir.Path), state);
        var first = dir.Write("out/app-1", "binary bytes");
        var second = dir.Write("out/app-2", "binary bytes");

        var a = store.Store("app", first);
        var b = store.Store("app", second);
        state.BindTag("local", "app", "t1", a.Digest, ArtifactStore.ImageName("app", a.Digest));
        state.BindTag("local", "app", "t2", b.Digest, ArtifactStore.ImageName("app", b.Digest));

        Assert.Equal(a.Digest, b.Digest);
        Assert.StartsWith("sha256:", a.Digest, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "artifacts", "sha256")));
        Assert.Equal(a.Digest, store.Resolve("local://app:t1")!.Digest);
        Assert.Equal(a.Digest, store.Resolve("local://app:t2")!.Digest);
        Assert.Equal(a.Digest, store.Resolve($"local://app@{a.Digest}")!.Digest);
        Assert.Null(store.Resolve("local://app:t3"));
    }

    [Fact]
    public void DifferentOutput_GetsADifferentDigest_AndStoringItMovesNoTag()
    {
        using var dir = new TempDir();
        using var state = StateStore.Open(Path.Combine(dir.Path, "state.db"), TimeProvider.System);
        var store = new ArtifactStore(new LocalPaths(dir.Path), state);

        var a = store.Store("app", dir.Write("a", "one"));
        state.BindTag("local", "app", "t1", a.Digest, ArtifactStore.ImageName("app", a.Digest));
        var b = store.Store("app", dir.Write("b", "two"));

        Assert.NotEqual(a.Digest, b.Digest);
        Assert.Equal(a.Digest, store.Resolve("local://app:t1")!.Digest);
        Assert.Equal(b.Digest, store.Resolve($"local://app@{b.Digest}")!.Digest);
    }
}
