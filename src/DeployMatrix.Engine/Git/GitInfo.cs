using DeployMatrix.Core;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.Engine.Git;

/// <summary>
/// Asks git about the matrix's repository: HEAD for the default image tag (the seed's
/// <c>git rev-parse --short HEAD</c>), whether the tree is dirty, and which files a build sends.
/// </summary>
public sealed class GitInfo(IProcessRunner processes)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The short SHA of HEAD in <paramref name="directory"/>'s repository, or null outside a repository.</summary>
    public async Task<string?> ShortHeadAsync(string directory, CancellationToken ct) =>
        (await RunAsync(directory, ct, "rev-parse", "--short", "HEAD"))?.Trim() is { Length: > 0 } sha ? sha : null;

    /// <summary>Whether the work tree has changes (tracked or untracked, ignored files aside); null outside a repository.</summary>
    public async Task<bool?> IsDirtyAsync(string directory, CancellationToken ct) =>
        await RunAsync(directory, ct, "status", "--porcelain") is { } status ? status.Trim().Length > 0 : null;

    /// <summary>
    /// The tag a build or deploy uses when none is given: the short SHA of HEAD; on a work tree with
    /// uncommitted changes <c>SHA-dirty-TREE</c>, where TREE names the tree's content (see
    /// <see cref="WorkTreeIdAsync"/>), so one dirty tag never names two contents and an unchanged tree
    /// keeps its tag. Plan, build, deploy and gate all take it from here, so they name the same tag.
    /// </summary>
    /// <returns>Null outside a git work tree (there is no default tag).</returns>
    /// <exception cref="OperationException">The tree is dirty and <paramref name="refuseDirty"/> (exit 2, naming the fixes).</exception>
    public async Task<string?> DefaultTagAsync(string directory, bool refuseDirty, CancellationToken ct)
    {
        if (await ShortHeadAsync(directory, ct) is not { } sha)
        {
            return null;
        }

        if (await IsDirtyAsync(directory, ct) != true)
        {
            return sha;
        }

        var dirty = $"{sha}-dirty-{await WorkTreeIdAsync(directory, ct) ?? "unknown"}";
        return refuseDirty
            ? throw new OperationException($"the work tree has uncommitted changes, so HEAD ({sha}) does not describe what would be built; commit them, pass --tag TAG, or pass --allow-dirty (tag {dirty})", ExitCodes.BadInput)
            : dirty;
    }

    /// <summary>
    /// The first 8 hex digits of the git tree the work tree would commit as (tracked changes and untracked
    /// files, ignored ones aside): what <c>git add -A &amp;&amp; git write-tree</c> names, computed in a
    /// scratch copy of the index so the real one is untouched. Like <c>git stash</c>, this writes the
    /// changed files' blobs to the object database. Null when git cannot tell.
    /// </summary>
    public async Task<string?> WorkTreeIdAsync(string directory, CancellationToken ct)
    {
        if ((await RunAsync(directory, ct, "rev-parse", "--path-format=absolute", "--git-path", "index"))?.Trim() is not { Length: > 0 } index)
        {
            return null;
        }

        var scratch = Path.Combine(Path.GetTempPath(), $"deploymatrix-index-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            if (File.Exists(index))
            {
                File.Copy(index, scratch);
            }

            var env = new Dictionary<string, string?> { ["GIT_INDEX_FILE"] = scratch };
            return await RunAsync(directory, env, ct, "add", "-A") is null ? null
                : (await RunAsync(directory, env, ct, "write-tree"))?.Trim() is { Length: >= 8 } tree ? tree[..8] : null;
        }
        finally
        {
            File.Delete(scratch);
        }
    }

    /// <summary>
    /// What git prints to standard output, as is; null outside a work tree, when git is missing, when it
    /// fails, or when it takes longer than a minute.
    /// </summary>
    public Task<string?> RunAsync(string directory, CancellationToken ct, params string[] args) =>
        RunAsync(directory, new Dictionary<string, string?>(), ct, args);

    private async Task<string?> RunAsync(string directory, IReadOnlyDictionary<string, string?> env, CancellationToken ct, params string[] args)
    {
        try
        {
            var result = await processes.RunAsync(new ProcessSpec { Program = "git", Args = args, WorkingDirectory = directory, Env = env, Timeout = Timeout }, ct);
            return result is { ExitCode: 0, TimedOut: false } ? result.Stdout : null;
        }
        catch (ProcessStartException)
        {
            return null;
        }
    }
}
