namespace DeployMatrix.Engine.Recording;

/// <summary>
/// The folder one run's evidence goes to (a gate's, a drill's), named by the time it started. Evidence is
/// never overwritten — an audit record points at it — so a second run in the same tick gets <c>-2</c>, <c>-3</c>, ….
/// </summary>
internal static class RunFolder
{
    /// <param name="root">Where run folders live (<c>.deploymatrix/evidence</c>, <c>.deploymatrix/drills</c>).</param>
    /// <param name="stem">The run's name, its start time (<c>20261130T100000123Z</c>).</param>
    /// <returns>The path of the new, empty folder.</returns>
    /// <remarks>
    /// The check and the creation are two calls: two processes starting a run in the same millisecond could
    /// still share a folder. .NET has no create-only-if-new for folders, and runs that write evidence are
    /// started by people, so that window is left open rather than litter the folder with claim files.
    /// </remarks>
    public static string Create(string root, string stem)
    {
        for (var n = 1; n <= 1000; n++)
        {
            var path = Path.Combine(root, n == 1 ? stem : $"{stem}-{n}");
            if (!Directory.Exists(path))
            {
                Directory.CreateDirectory(path);
                return path;
            }
        }

        throw new IOException($"more than 1000 runs named {stem} in {root}");
    }
}
