using DeployMatrix.Core;
using DeployMatrix.Engine.Git;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Engine.Tests.Git;

/// <summary>The default tag from a real git repository: the short SHA of HEAD, marked -dirty-TREE (naming the content) when the tree has changes.</summary>
public sealed class GitInfoTests : IDisposable
{
    private readonly TempDir _repo = new();
    private readonly GitInfo _git = new(new ProcessRunner(TimeProvider.System));

    [Fact]
    public async Task ACleanTree_IsTaggedWithTheShortSha_ADirtyOne_WithDirty_OrRefused()
    {
        await GitAsync("init", "-q");
        _repo.Write("a.txt", "one");
        await GitAsync("add", ".");
        await GitAsync("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one");
        var sha = (await GitAsync("rev-parse", "--short", "HEAD")).Trim();

        var clean = await _git.DefaultTagAsync(_repo.Path, refuseDirty: true, CancellationToken.None);
        _repo.Write("a.txt", "two");
        var dirty = await _git.DefaultTagAsync(_repo.Path, refuseDirty: false, CancellationToken.None);
        var again = await _git.DefaultTagAsync(_repo.Path, refuseDirty: false, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<OperationException>(() => _git.DefaultTagAsync(_repo.Path, refuseDirty: true, CancellationToken.None));
        _repo.Write(".gitignore", "out/\n");
        var ignoreAdded = await _git.DefaultTagAsync(_repo.Path, refuseDirty: false, CancellationToken.None);
        _repo.Write("out/build.bin", "ignored output");
        var ignoredWritten = await _git.DefaultTagAsync(_repo.Path, refuseDirty: false, CancellationToken.None);
        _repo.Write("b.txt", "new file");
        var untracked = await _git.DefaultTagAsync(_repo.Path, refuseDirty: false, CancellationToken.None);
        _repo.Write("a.txt", "three");
        var edited = await _git.DefaultTagAsync(_repo.Path, refuseDirty: false, CancellationToken.None);

        Assert.Equal(sha, clean);
        Assert.Matches($"^{sha}-dirty-[0-9a-f]{{8}}$", dirty);
        Assert.Equal(dirty, again);
        Assert.Equal(ExitCodes.BadInput, refused.ExitCode);
        Assert.Equal($"the work tree has uncommitted changes, so HEAD ({sha}) does not describe what would be built; commit them, pass --tag TAG, or pass --allow-dirty (tag {dirty})", refused.Message);
        // Every change of content is a new tag; ignored files are not content.
        Assert.Equal(ignoreAdded, ignoredWritten);
        Assert.Equal(5, new[] { dirty, ignoreAdded, untracked, edited, clean }.Distinct().Count());
        // The real index is untouched: nothing was staged.
        Assert.Equal("", await GitAsync("diff", "--cached", "--name-only"));
        Assert.True(await _git.IsDirtyAsync(_repo.Path, CancellationToken.None));
    }

    [Fact]
    public async Task OutsideARepository_ThereIsNoDefaultTag()
    {
        Assert.Null(await _git.DefaultTagAsync(_repo.Path, refuseDirty: true, CancellationToken.None));
        Assert.Null(await _git.IsDirtyAsync(_repo.Path, CancellationToken.None));
        Assert.Null(await _git.ShortHeadAsync(_repo.Path, CancellationToken.None));
    }

    private async Task<string> GitAsync(params string[] args)
    {
        var result = await new ProcessRunner(TimeProvider.System).RunAsync(new ProcessSpec { Program = "git", Args = args, WorkingDirectory = _repo.Path }, CancellationToken.None);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }

    public void Dispose() => _repo.Dispose();
}
