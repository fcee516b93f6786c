using System.Formats.Tar;
using System.IO.Compression;
using DeployMatrix.Engine.Git;

namespace DeployMatrix.CloudRun.Build;

/// <summary>
/// The source a Cloud Build receives, packed as <c>gcloud builds submit .</c> packs it: a gzipped tar of
/// the folder. In a git work tree the files are git's (tracked, plus untracked ones .gitignore keeps),
/// minus what a <c>.gcloudignore</c> in the folder excludes; elsewhere every file but <c>.git</c>.
/// The state folder <c>.deploymatrix/</c> is never sent.
/// </summary>
public static class SourceArchive
{
    public const string IgnoreFile = ".gcloudignore";

    /// <summary>The folder's files to send, relative, with '/' separators, sorted.</summary>
    public static async Task<IReadOnlyList<string>> FilesAsync(string directory, GitInfo git, CancellationToken ct)
    {
        var listed = await GitAsync(git, directory, ct, "ls-files", "-z", "--cached", "--others", "--exclude-standard");
        IEnumerable<string> files = listed ?? Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(directory, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal));
        if (listed is not null && File.Exists(Path.Combine(directory, IgnoreFile)))
        {
            var ignored = (await GitAsync(git, directory, ct, "ls-files", "-z", "--cached", "--others", "--ignored", $"--exclude-from={IgnoreFile}"))!.ToHashSet(StringComparer.Ordinal);
            files = files.Where(f => !ignored.Contains(f));
        }

        return [.. files
            .Where(f => !f.StartsWith(".deploymatrix/", StringComparison.Ordinal) && File.Exists(Path.Combine(directory, f)))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Packs <paramref name="files"/> into a .tgz in memory.</summary>
    public static byte[] Pack(string directory, IReadOnlyList<string> files)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in files)
            {
                tar.WriteEntry(Path.Combine(directory, file), file);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>git's NUL-separated answer, or null when the folder is not in a git work tree (or git is missing: the folder is packed as it is).</summary>
    private static async Task<List<string>?> GitAsync(GitInfo git, string directory, CancellationToken ct, params string[] arguments) =>
        await git.RunAsync(directory, ct, arguments) is { } output ? [.. output.Split('\0', StringSplitOptions.RemoveEmptyEntries)] : null;
}
