namespace DeployMatrix.Core.Loading;

/// <summary>
/// Finds the matrix a command means: the given file, else the nearest deploymatrix.yaml upwards, as git
/// finds .git — but never above the repository's root (the folder holding <c>.git</c>) or the user's home,
/// whichever comes first. A matrix names commands the tool runs, so one planted in a shared parent folder
/// (<c>/tmp</c>, another user's folder) must not be picked up by walking into it.
/// </summary>
public static class MatrixLocator
{
    public const string FileName = "deploymatrix.yaml";

    /// <summary>Returns the matrix path, or null with a one-line message saying what was searched or refused.</summary>
    /// <param name="explicitPath">A file (or folder holding one) the user named; it is taken as given, owner unchecked.</param>
    /// <param name="startDirectory">Where the upward search starts.</param>
    /// <param name="home">The user's home folder (<c>$HOME</c>); the search stops there. Null: no home bound.</param>
    /// <param name="ownedByUser">
    /// Whether the current user owns a file (the check is IO, so the caller supplies it and Core stays free of
    /// it). A discovered matrix it rejects is refused. Null: not checked.
    /// </param>
    public static (string? Path, string? Error) Locate(string? explicitPath, string startDirectory, string? home = null, Func<string, bool>? ownedByUser = null)
    {
        if (explicitPath is not null)
        {
            var full = Path.GetFullPath(explicitPath, startDirectory);
            var folder = Directory.Exists(full);
            if (folder)
            {
                full = Path.Combine(full, FileName);
            }

            return File.Exists(full) ? (full, null)
                : folder ? (null, $"'{explicitPath}' is a folder without a {FileName}; pass the matrix file itself with --file PATH, or a folder that holds one")
                : (null, $"matrix file '{explicitPath}' does not exist; pass an existing file with --file PATH");
        }

        var stopAt = home is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(home));
        for (var dir = new DirectoryInfo(startDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, FileName);
            if (File.Exists(candidate))
            {
                return ownedByUser is null || ownedByUser(candidate)
                    ? (candidate, null)
                    : (null, $"refusing {candidate}: it (or its folder, or a link to it) is owned by another user, and a matrix's build and gate commands run as you; pass --file {candidate} if you trust it");
            }

            // .git is a folder in a clone and a file in a worktree or submodule.
            var gitMarker = Path.Combine(dir.FullName, ".git");
            if (Directory.Exists(gitMarker) || File.Exists(gitMarker) ||
                string.Equals(Path.TrimEndingDirectorySeparator(dir.FullName), stopAt, StringComparison.Ordinal))
            {
                break;
            }
        }

        return (null, $"no {FileName} in {startDirectory} or any parent folder up to the repository root (or $HOME); pass --file PATH or run from inside a repository that has one");
    }
}
