namespace DeployMatrix.Core.Model;

/// <summary>Canary stages and the gates each stage's analysis window must pass (the seed's runbook).</summary>
public sealed record RolloutPolicy
{
    public static readonly RolloutPolicy Default = new();

    /// <value>The default stages are 0, 5, 25, 50, 100 (the seed's A–E).</value>
    public IReadOnlyList<int> Stages { get; init; } = [0, 5, 25, 50, 100];

    /// <value>The default window is 10 minutes.</value>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(10);

    public RolloutGates Gates { get; init; } = new();
}

public sealed record RolloutGates
{
    /// <value>The default is 1 (%): a canary at or above 1% 5xx fails.</value>
    public double Max5xxRatePercent { get; init; } = 1;

    /// <value>The default is 20 (%): canary p95 may be at most 20% above stable's.</value>
    public double MaxP95RegressionPercent { get; init; } = 20;

    /// <value>The default is 100 requests per revision; fewer makes a window inconclusive, never passed.</value>
    public int MinRequests { get; init; } = 100;
}
