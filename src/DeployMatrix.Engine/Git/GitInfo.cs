using System.Diagnostics;

namespace DeployMatrix.Engine.Git;

/// <summary>
/// Asks git about the matrix's repository: HEAD for the default image tag (the seed's
/// <c>git rev-parse --short HEAD</c>), whether the tree is dirty, and which files a build sends.
/// </summary>
public static class GitInfo
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The short SHA of HEAD in <paramref name="directory"/>'s repository, or null outside a repository.</summary>
    public static string? ShortHead(string directory) => Run(directory, "rev-parse", "--short", "HEAD")?.Trim() is { Length: > 0 } sha ? sha : null;

    /// <summary>Whether the work tree has changes (tracked or untracked, ignored files aside); null outside a repository.</summary>
    public static bool? IsDirty(string directory) => Run(directory, "status", "--porcelain") is { } status ? status.Trim().Length > 0 : null;

    /// <summary>
    /// What git prints to standard output, as is; null outside a work tree, when git is missing, when it
    /// fails, or when it takes longer than a minute.
    /// </summary>
    public static string? Run(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var git = Process.Start(start);
            if (git is null)
            {
                return null;
            }

            // Both pipes are drained, so git never blocks on a full one.
            var output = git.StandardOutput.ReadToEndAsync();
            _ = git.StandardError.ReadToEndAsync();
            if (!git.WaitForExit(Timeout))
            {
                git.Kill(entireProcessTree: true);
                return null;
            }

            return git.ExitCode == 0 ? output.Result : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
