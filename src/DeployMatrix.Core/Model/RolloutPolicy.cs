using DeployMatrix.Core.Diagnostics;

namespace DeployMatrix.Core.Model;

/// <summary>Canary stages and the gates each stage's analysis window must pass (the seed's runbook).</summary>
public sealed record RolloutPolicy
{
    public static readonly RolloutPolicy Default = new();

    /// <summary>The shortest analysis window a stage may have (1 s): the matrix and <c>rollout --window</c> are held to the same bounds.</summary>
    public static readonly TimeSpan MinWindow = TimeSpan.FromSeconds(1);

    /// <summary>The longest analysis window a stage may have (24 h).</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromHours(24);

    /// <summary>Why a window is out of bounds, or null when it is within <see cref="MinWindow"/>..<see cref="MaxWindow"/>.</summary>
    public static string? CheckWindow(TimeSpan window) =>
        window < MinWindow || window > MaxWindow
            ? $"{Durations.Format(window)} is outside {Durations.Format(MinWindow)}..{Durations.Format(MaxWindow)}"
            : null;

    /// <value>The default stages are 0, 5, 25, 50, 100 (the seed's A–E).</value>
    public IReadOnlyList<int> Stages { get; init; } = [0, 5, 25, 50, 100];

    /// <value>The default window is 10 minutes.</value>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Where the matrix wrote the window (null: the default), for rules that judge it against a platform.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public SourcePos? WindowPos { get; init; }

    public RolloutGates Gates { get; init; } = new();

    /// <value>The default is 2: an inconclusive window (too few requests) is run again twice before the policy below decides.</value>
    public int MaxExtensions { get; init; } = 2;

    /// <value>The default is <see cref="InconclusiveAction.Rollback"/>: missing data never passes a stage.</value>
    public InconclusiveAction OnInconclusive { get; init; } = InconclusiveAction.Rollback;

    /// <summary>
    /// Whether the 0% stage also runs the gate's <c>http</c> checks of this lane against the canary's own URL
    /// (Cloud Run's tag URL, the local revision's port) before any user request reaches it, as Argo Rollouts'
    /// pre-promotion analysis does; the checks' environment becomes the rollout's.
    /// </summary>
    /// <value>The default is false: the 0% stage runs the lane's smoke checks only.</value>
    public bool GateChecks { get; init; }

    /// <summary>Where the matrix turned <see cref="GateChecks"/> on (null: not written here), for the rule that the gate has such checks.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public SourcePos? GateChecksPos { get; init; }
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

    /// <value>The default is 20 (%): canary p95 may be at most 20% above stable's (the seed's runbook).</value>
    public double MaxP95RegressionPercent { get; init; } = 20;

    /// <summary>
    /// The latency gates beside p95's regression: <c>max-p50-regression</c>, <c>max-p90-regression</c>,
    /// <c>max-p99-regression</c> and the ceilings <c>max-p50</c> … <c>max-p99</c>, in <see cref="LatencyGate.Order"/>.
    /// </summary>
    /// <value>The default is none.</value>
    public IReadOnlyList<LatencyGate> Latency { get; init; } = [];

    /// <value>The default is 100 requests per revision; fewer makes a window inconclusive, never passed.</value>
    public int MinRequests { get; init; } = 100;

    /// <summary>Every latency gate a window is judged by: p95's regression, then <see cref="Latency"/>, by percentile.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<LatencyGate> LatencyGates =>
        [.. Latency.Append(new LatencyGate(95, LatencyLimit.Regression, MaxP95RegressionPercent)).OrderBy(g => g.Order)];
}

/// <summary>What a latency gate's limit is measured against.</summary>
public enum LatencyLimit
{
    /// <summary>Percent above stable's same percentile (<c>max-pNN-regression</c>).</summary>
    Regression,

    /// <summary>Milliseconds, whatever stable does (<c>max-pNN</c>).</summary>
    Ceiling,
}

/// <summary>
/// A gate on one percentile of a revision's latency (the time to a response's head): at most
/// <see cref="Limit"/> percent above stable's, or at most <see cref="Limit"/> milliseconds.
/// </summary>
/// <param name="Percentile">50, 90, 95 or 99 (<see cref="Percentiles"/>).</param>
/// <param name="Limit">Percent (0..1000) for a <see cref="LatencyLimit.Regression"/>; milliseconds (1 ms..60 min) for a <see cref="LatencyLimit.Ceiling"/>.</param>
public sealed record LatencyGate(int Percentile, LatencyLimit Kind, double Limit)
{
    /// <summary>The percentiles a gate may read.</summary>
    public static readonly IReadOnlyList<int> Percentiles = [50, 90, 95, 99];

    /// <summary>The matrix key that writes this gate: <c>max-p99-regression</c>, <c>max-p99</c>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Key => Kind == LatencyLimit.Regression ? $"max-p{Percentile}-regression" : $"max-p{Percentile}";

    /// <summary>How gates are listed: by percentile, a regression before a ceiling.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Order => (Percentile * 2) + (int)Kind;

    /// <summary>"p99 at most 10% above stable's", "p99 at most 300 ms" (a plan's words).</summary>
    public string Describe() => Kind == LatencyLimit.Regression
        ? $"p{Percentile} at most {Number(Limit)}% above stable's"
        : $"p{Percentile} at most {Number(Limit)} ms";

    /// <summary>"p99 regression ≤ 10%", "p99 ≤ 300 ms" (the deploy map's).</summary>
    public string Brief() => Kind == LatencyLimit.Regression
        ? $"p{Percentile} regression ≤ {Number(Limit)}%"
        : $"p{Percentile} ≤ {Number(Limit)} ms";

    private static string Number(double value) => value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
