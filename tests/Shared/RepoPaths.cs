namespace DeployMatrix.Tests.Support;

/// <summary>Locates files of this repository from the test binaries, wherever the build output lives.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Example => Path.Combine(Root, "examples", "openagents", "deploymatrix.yaml");

    public static string Schema => Path.Combine(Root, "schema", "deploymatrix.schema.json");

    public static string Corpus(string kind) => Path.Combine(Root, "tests", "corpus", kind);

    /// <summary>The folder above the test binaries that holds DeployMatrix.slnx; binaries built elsewhere
    /// (<c>--artifacts-path</c>, a mutation run's copy) name it with <c>DEPLOYMATRIX_REPO_ROOT</c>.</summary>
    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("DEPLOYMATRIX_REPO_ROOT") is { Length: > 0 } named)
        {
            return File.Exists(Path.Combine(named, "DeployMatrix.slnx"))
                ? Path.GetFullPath(named)
                : throw new InvalidOperationException($"DEPLOYMATRIX_REPO_ROOT={named} holds no DeployMatrix.slnx");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DeployMatrix.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (DeployMatrix.slnx) above " + AppContext.BaseDirectory);
    }
}
