namespace DeployMatrix.Tests.Support;

/// <summary>
/// Output held to a committed file under <c>tests/golden/</c>: every line of it, so a change to any
/// message, step or command shows up as a diff to review. Run the tests with
/// <c>DEPLOYMATRIX_UPDATE_GOLDEN=1</c> to write the files anew, then read the diff before committing it.
/// </summary>
internal static class GoldenFile
{
    /// <param name="name">The file under <c>tests/golden/</c>.</param>
    public static void Match(string name, string actual)
    {
        var path = Path.Combine(RepoPaths.Root, "tests", "golden", name);
        if (Environment.GetEnvironmentVariable("DEPLOYMATRIX_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"no golden file {path}; write it with DEPLOYMATRIX_UPDATE_GOLDEN=1 and review it");
        var expected = File.ReadAllText(path);
        if (expected != actual)
        {
            var diff = Core.Rendering.LineDiff.Unified(expected, actual, name, "actual");
            Assert.Fail($"{name} differs from its golden file:\n{diff}");
        }
    }
}
