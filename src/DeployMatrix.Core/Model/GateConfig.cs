using DeployMatrix.Core.Diagnostics;

namespace DeployMatrix.Core.Model;

/// <summary>The cross-environment go/no-go gate between two environments.</summary>
public sealed record GateConfig
{
    /// <summary>The human validation document the gate implements (rendered as the gate link).</summary>
    public FileRef? Doc { get; init; }

    public required string From { get; init; }

    public required string To { get; init; }

    public IReadOnlyList<GateCheck> Checks { get; init; } = [];

    public SourcePos Pos { get; init; }
}

/// <summary>One named check of the gate. Exactly one of the typed specs is set.</summary>
public sealed record GateCheck
{
    public required string Id { get; init; }

    /// <value>Checks are required by default: a required failure or skip is a no-go.</value>
    public bool Required { get; init; } = true;

    public string? Description { get; init; }

    public required CheckSpec Spec { get; init; }

    public SourcePos Pos { get; init; }
}

/// <summary>What a check does; the gate runner switches on the concrete type.</summary>
public abstract record CheckSpec
{
    public abstract string Type { get; }

    /// <summary>The lane and environment a check targets, when it targets one; the region where the environment runs in several (else null).</summary>
    public virtual (string Lane, string Env, string? Region, SourcePos Pos)? LaneRef => null;
}

/// <summary>Where an HTTP check goes: a lane's service in an environment plus a path, or an absolute URL.</summary>
public sealed record HttpEndpoint(string? Lane, string? Env, string? Path, string? Url, SourcePos Pos)
{
    /// <summary>Which region's service, where the lane runs in several in <see cref="Env"/> (required there); null otherwise.</summary>
    public string? Region { get; init; }

    /// <summary>The environment as people read it: <c>production</c>, or <c>production, us-east1</c>.</summary>
    public string Where => Region is null ? Env ?? "" : $"{Env}, {Region}";
}

/// <summary>A check that sends a request to an endpoint; a lane endpoint makes it a check of that lane.</summary>
public abstract record EndpointCheckSpec : CheckSpec
{
    public required HttpEndpoint Endpoint { get; init; }

    public override (string Lane, string Env, string? Region, SourcePos Pos)? LaneRef =>
        Endpoint.Lane is { } lane && Endpoint.Env is { } env ? (lane, env, Endpoint.Region, Endpoint.Pos) : null;
}

public sealed record HttpCheckSpec : EndpointCheckSpec
{
    public override string Type => "http";

    public string Method { get; init; } = "GET";

    public int Expect { get; init; } = 200;

    public string? Contains { get; init; }

    /// <summary>A header that must be present, as <c>name: value-substring</c>.</summary>
    public string? Header { get; init; }

    /// <summary>Name of the environment variable holding a bearer token; the value is never stored or printed.</summary>
    public string? TokenEnv { get; init; }
}

public sealed record BudgetCheckSpec : EndpointCheckSpec
{
    public override string Type => "budget";

    public long? MaxBytes { get; init; }

    public TimeSpan? MaxTtfb { get; init; }

    /// <summary>Timed requests per run; the median time to first byte is judged, so one scheduling stall
    /// on a busy host does not fail a release.</summary>
    public int Samples { get; init; } = DefaultSamples;

    public const int DefaultSamples = 5;
}

public sealed record CommandCheckSpec : CheckSpec
{
    public override string Type => "command";

    public required CommandText Run { get; init; }

    /// <value>The default timeout is 5 minutes.</value>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The lane whose service the command checks (a smoke binary): its URL — the domain's once the mapping is ready,
    /// a pinned revision's own — is passed in <see cref="UrlEnv"/>; null for a command of no lane.
    /// </summary>
    public (string Lane, string Env, string? Region, SourcePos Pos)? Service { get; init; }

    /// <value>The variable the service's URL is passed in; the default is <c>SMOKE_BASE_URL</c> (the seed's runtime smoke).</value>
    public string UrlEnv { get; init; } = "SMOKE_BASE_URL";

    public override (string Lane, string Env, string? Region, SourcePos Pos)? LaneRef => Service;
}

/// <summary>A check over one lane in one environment (migration drift, canary status, domain mapping).</summary>
public sealed record LaneCheckSpec(string CheckType, string Lane, string Env, SourcePos RefPos) : CheckSpec
{
    public const string Drift = "drift";
    public const string CanaryStatus = "canary-status";

    /// <summary>The target's domain mapping routes to its service and is ready with its certificate provisioned.</summary>
    public const string Domain = "domain";

    public override string Type => CheckType;

    /// <summary>Which region's service, where the lane runs in several in <see cref="Env"/> (required there); null otherwise.</summary>
    public string? Region { get; init; }

    public override (string Lane, string Env, string? Region, SourcePos Pos)? LaneRef => (Lane, Env, Region, RefPos);

    /// <summary>The environment as people read it: <c>production</c>, or <c>production, us-east1</c>.</summary>
    public string Where => Region is null ? Env : $"{Env}, {Region}";

    /// <summary>The command-line words that pick the same target: <c>--env ENV</c>, with <c>--region R</c> where one is named.</summary>
    public string Args => Region is null ? $"--env {Env}" : $"--env {Env} --region {Region}";
}

/// <summary>
/// An error-log probe (the seed's validation gate: Cloud Logging, severity ERROR or worse, last 10 minutes): the
/// service's log entries at or above <see cref="Severity"/> in the last <see cref="Window"/> number at most <see cref="Max"/>.
/// </summary>
public sealed record LogsCheckSpec(string Lane, string Env, SourcePos RefPos) : CheckSpec
{
    public override string Type => "logs";

    public string? Region { get; init; }

    /// <value>The default is <see cref="LogSeverity.Error"/> (ERROR, CRITICAL, ALERT and EMERGENCY count).</value>
    public LogSeverity Severity { get; init; } = LogSeverity.Error;

    /// <value>The default is 10 minutes, back from when the check runs.</value>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(10);

    /// <value>The most entries that still pass; the default is 0.</value>
    public int Max { get; init; }

    public override (string Lane, string Env, string? Region, SourcePos Pos)? LaneRef => (Lane, Env, Region, RefPos);

    public string Where => Region is null ? Env : $"{Env}, {Region}";

    public string Args => Region is null ? $"--env {Env}" : $"--env {Env} --region {Region}";
}

/// <summary>
/// The gated tag's release of a lane passed a rehearsal (<c>deploymatrix rehearse</c>): the latest rehearsal recorded for
/// its content digest passed every phase, so the release before it serves the migrated schema (rollback safe).
/// </summary>
public sealed record RehearsalCheckSpec(string Lane, SourcePos RefPos) : CheckSpec
{
    public override string Type => "rehearsal";
}

public sealed record GuardCheckSpec : CheckSpec
{
    public override string Type => "guard";

    /// <summary>The folder to scan, relative to the matrix file.</summary>
    public string Dir { get; init; } = ".";
}
