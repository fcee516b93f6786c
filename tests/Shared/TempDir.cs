namespace DeployMatrix.Tests.Support;

/// <summary>A scratch folder deleted after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dm-test-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>A copy of examples/openagents without build output or state, to run commands against.</summary>
    public static TempDir CopyOfExample()
    {
        var dir = new TempDir();
        var source = System.IO.Path.Combine(RepoPaths.Root, "examples", "openagents");
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories)
                     .Where(f => !f.Contains("/target/", StringComparison.Ordinal) && !f.Contains("/.deploymatrix/", StringComparison.Ordinal)))
        {
            dir.Write(System.IO.Path.GetRelativePath(source, file), File.ReadAllText(file));
        }

        return dir;
    }

    public string Write(string relative, string content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail a test.
        }
    }
}
