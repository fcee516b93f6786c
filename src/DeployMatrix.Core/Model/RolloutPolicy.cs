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

    /// <value>The default is 2: an inconclusive window (too few requests) is run again twice before the policy below decides.</value>
    public int MaxExtensions { get; init; } = 2;

    /// <value>The default is <see cref="InconclusiveAction.Rollback"/>: missing data never passes a stage.</value>
    public InconclusiveAction OnInconclusive { get; init; } = InconclusiveAction.Rollback;
}

/// <summary>What a stage that stays inconclusive after its extensions does; never pass.</summary>
public enum InconclusiveAction
{
    /// <summary>Send all traffic back to stable and fail the rollout.</summary>
    Rollback,

    /// <summary>Keep the split and pause the rollout for a person to resume, promote or abort.</summary>
    Hold,
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
