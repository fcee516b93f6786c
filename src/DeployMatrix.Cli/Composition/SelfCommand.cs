namespace DeployMatrix.Cli.Composition;

/// <summary>How to run this program again, e.g. to start the agent as a daemon.</summary>
internal static class SelfCommand
{
    /// <returns>The program and arguments: the apphost, else <c>dotnet deploymatrix.dll</c> (also when another process hosts this one, as in tests), then <paramref name="args"/>.</returns>
    public static IReadOnlyList<string> Of(params string[] args)
    {
        var processPath = Environment.ProcessPath ?? "dotnet";
        if (Path.GetFileName(processPath) == "deploymatrix")
        {
            return [processPath, .. args];
        }

        var dotnet = Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? processPath : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return [dotnet, typeof(SelfCommand).Assembly.Location, .. args];
    }
}
