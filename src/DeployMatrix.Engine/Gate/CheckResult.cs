namespace DeployMatrix.Engine.Gate;

public static class CheckStatus
{
    public const string Passed = "passed";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
}

/// <summary>One check's outcome, as results.tsv and results.json record it.</summary>
public sealed record CheckResult(string CheckId, bool Required, string Status, string Description, string LogPath, string Command, string Reason, double DurationMs);

/// <summary>The gate's verdict: go only when no required check failed or was skipped.</summary>
public sealed record GateReport(string From, string To, string Tag, bool Go, IReadOnlyList<CheckResult> Results, string EvidenceDirectory, string StartedAt, string EndedAt)
{
    /// <summary>What the 'from' environment was found serving, per gated lane (revision and digest): what the verdict is stored against.</summary>
    public IReadOnlyList<State.GateRelease> Releases { get; init; } = [];

    public static bool IsGo(IEnumerable<CheckResult> results) => results.All(r => !r.Required || r.Status == CheckStatus.Passed);
}
