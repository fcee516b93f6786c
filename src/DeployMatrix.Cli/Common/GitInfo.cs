using System.Diagnostics;

namespace DeployMatrix.Cli.Common;

/// <summary>Reads the repository's HEAD for the default image tag (the seed's <c>git rev-parse --short HEAD</c>).</summary>
internal static class GitInfo
{
    /// <summary>The short SHA of HEAD in <paramref name="directory"/>'s repository, or null outside a repository.</summary>
    public static string? ShortHead(string directory) => Git(directory, "rev-parse", "--short", "HEAD") is { Length: > 0 } sha ? sha : null;

    /// <summary>Whether the work tree has changes (tracked or untracked, ignored files aside); null outside a repository.</summary>
    public static bool? IsDirty(string directory) => Git(directory, "status", "--porcelain") is { } status ? status.Length > 0 : null;

    private static string? Git(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
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

            var output = git.StandardOutput.ReadToEnd().Trim();
            if (!git.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                git.Kill(entireProcessTree: true);
                return null;
            }

            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
