namespace DeployMatrix.Engine.Files;

/// <summary>
/// The state folder beside a matrix (<c>.deploymatrix/</c>): logs, evidence, receipts, secrets, service data
/// and state.db. It is the owner's alone (0700) — other local users are not trusted — and carries a
/// <c>.gitignore</c> of <c>*</c>, so <c>git add -A</c> never commits it, whatever the repository's own ignores say.
/// </summary>
public static class StateFolder
{
    public const string IgnoreFile = ".gitignore";

    /// <summary>Creates the folder 0700 with its .gitignore, or brings an existing one (from an older version) to that.</summary>
    /// <returns>The folder's full path.</returns>
    /// <exception cref="IOException">The folder is a symbolic link.</exception>
    public static string Ensure(string root)
    {
        var full = SafeFile.CreateFolder(root);
        if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(full) != SafeFile.OwnerOnlyFolder)
        {
            File.SetUnixFileMode(full, SafeFile.OwnerOnlyFolder);
        }

        SafeFile.TryCreateNew(Path.Combine(full, IgnoreFile), "# Written by deploymatrix: this folder holds local state, logs and secrets.\n*\n");
        return full;
    }
}
