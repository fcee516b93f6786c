using System.Diagnostics;

namespace DeployMatrix.Cli.Common;

/// <summary>Reads the repository's HEAD for the default image tag (the seed's <c>git rev-parse --short HEAD</c>).</summary>
internal static class GitInfo
{
    /// <summary>The short SHA of HEAD in <paramref name="directory"/>'s repository, or null outside a repository.</summary>
    public static string? ShortHead(string directory)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "rev-parse", "--short", "HEAD" })
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

            var sha = git.StandardOutput.ReadToEnd().Trim();
            if (!git.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                git.Kill(entireProcessTree: true);
                return null;
            }

            return git.ExitCode == 0 && sha.Length > 0 ? sha : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
