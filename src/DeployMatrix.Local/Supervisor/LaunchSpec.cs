namespace DeployMatrix.Local.Supervisor;

/// <summary>Everything needed to (re)start a revision or job process; stored with the revision so a restarted agent can start it again.</summary>
public sealed record LaunchSpec
{
    public required string Executable { get; init; }

    public IReadOnlyList<string> Args { get; init; } = [];

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    public required string WorkingDirectory { get; init; }

    /// <value>The readiness path; the default is <c>/readyz</c>.</value>
    public string Probe { get; init; } = "/readyz";
}
