namespace DeployMatrix.Local;

/// <summary>Where the local platform keeps its state: <c>.deploymatrix/</c> beside the matrix (git-ignored).</summary>
public sealed record LocalPaths(string Root)
{
    public static LocalPaths For(string matrixDirectory) => new(Path.Combine(matrixDirectory, ".deploymatrix"));

    public string StateDb => Path.Combine(Root, "state.db");

    public string AgentJson => Path.Combine(Root, "agent.json");

    public string AgentPid => Path.Combine(Root, "agent.pid");

    public string AgentLog => Path.Combine(Root, "logs", "agent.log");

    public string Artifacts => Path.Combine(Root, "artifacts");

    public string Receipts => Path.Combine(Root, "receipts");

    public string BuildLog(string lane, string tag) => Inside(Path.Combine(Root, "logs", "builds", $"{lane}-{tag}.log"));

    public string RevisionLog(string revision) => Inside(Path.Combine(Root, "logs", "revisions", $"{revision}.log"));

    public string JobLog(string env, string job, long execution) => Inside(Path.Combine(Root, "logs", "jobs", $"{env}-{job}-{execution:D5}.log"));

    public string RunLog(string lane) => Inside(Path.Combine(Root, "logs", "runs", $"{lane}.log"));

    /// <summary>
    /// The maintenance bypass token of a service (mode 0600; never printed, never sent to the agent): a folder
    /// per environment, so no two (environment, service) pairs share a file (<c>a</c>+<c>b-c</c> and <c>a-b</c>+<c>c</c> did).
    /// </summary>
    /// <exception cref="ArgumentException">A name that is not one plain path segment.</exception>
    public string MaintenanceToken(string env, string service) => Inside(Path.Combine(Root, "secrets", "maintenance", Segment(env), Segment(service) + ".token"));

    /// <summary>A service's data folder, shared by its revisions and its migration job across deploys.</summary>
    public string DataDir(string env, string service) => Inside(Path.Combine(Root, "data", env, service));

    /// <summary>
    /// Names in these paths are validated when the matrix is loaded; this keeps a name that slipped past
    /// (<c>job: ../../x</c>) from placing a file outside <c>.deploymatrix/</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The path leaves the state folder.</exception>
    private string Inside(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Root)) + Path.DirectorySeparatorChar;
        return full.StartsWith(root, StringComparison.Ordinal)
            ? path
            : throw new ArgumentException($"'{path}' leaves {Root}; names in paths must be lowercase letters, digits and hyphens");
    }

    private static string Segment(string name) =>
        name.Length > 0 && name is not ("." or "..") && name.IndexOfAny(['/', '\\', '\0']) < 0 ? name : throw new ArgumentException($"'{name}' is not a valid name", nameof(name));
}
