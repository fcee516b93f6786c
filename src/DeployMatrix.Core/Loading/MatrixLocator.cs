namespace DeployMatrix.Core.Loading;

/// <summary>Finds the matrix a command means: the given file, else the nearest deploymatrix.yaml upwards, as git finds .git.</summary>
public static class MatrixLocator
{
    public const string FileName = "deploymatrix.yaml";

    /// <summary>Returns the matrix path, or null with a message saying what was searched.</summary>
    public static (string? Path, string? Error) Locate(string? explicitPath, string startDirectory)
    {
        if (explicitPath is not null)
        {
            var full = Path.GetFullPath(explicitPath, startDirectory);
            if (Directory.Exists(full))
            {
                full = Path.Combine(full, FileName);
            }

            return File.Exists(full)
                ? (full, null)
                : (null, $"matrix file '{explicitPath}' does not exist; pass an existing file with --file PATH");
        }

        for (var dir = new DirectoryInfo(startDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, FileName);
            if (File.Exists(candidate))
            {
                return (candidate, null);
            }
        }

        return (null, $"no {FileName} in {startDirectory} or any parent folder; pass --file PATH or run from inside a repository that has one");
    }
}
