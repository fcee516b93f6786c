using System.Text.Json.Serialization;
using DeployMatrix.Core.Diagnostics;

namespace DeployMatrix.Core.Model;

public enum LaneKind
{
    /// <summary>Long-running HTTP revisions behind traffic, optionally with a migration job.</summary>
    Service,

    /// <summary>A command run on demand, or served like a service when it has targets.</summary>
    Binary,
}

public enum LaneStatus
{
    Canonical,

    /// <summary>Frozen: refused unless explicitly unfrozen with a change ticket.</summary>
    Legacy,
}

/// <summary>One deployable unit of the matrix.</summary>
public sealed record Lane
{
    public const string TagPlaceholder = "<TAG>";

    /// <summary>In a binary lane's <see cref="Run"/> command, where the user's arguments go.</summary>
    public const string ArgsPlaceholder = "<command>";

    public required string Name { get; init; }

    public LaneKind Kind { get; init; } = LaneKind.Service;

    public LaneStatus Status { get; init; } = LaneStatus.Canonical;

    public string? Description { get; init; }

    /// <summary>Image template with a <c>&lt;TAG&gt;</c> placeholder; targets may override it.</summary>
    public string? Image { get; init; }

    public BuildConfig? Build { get; init; }

    /// <summary>
    /// Targets by environment: in file order, or in the order of <see cref="Environments"/> when the lane lists
    /// them (a listed environment without a written target has one made of the lane's and the defaults' values).
    /// An environment with no target is one the lane skips.
    /// </summary>
    public IReadOnlyList<Target> Targets { get; init; } = [];

    /// <summary>The environments the lane deploys to, as its <c>environments</c> list writes them; null when not written (then: those it has targets for).</summary>
    public IReadOnlyList<string>? Environments { get; init; }

    /// <summary>What a deploy of this lane does with traffic (<c>traffic</c>), over its environments' defaults; null: theirs.</summary>
    public TrafficPolicy? Traffic { get; init; }

    public MigrationConfig? Migration { get; init; }

    /// <summary>How <c>deploymatrix rehearse</c> prepares the lane's scratch data (<c>rehearsal</c>); null: a copy of the data folder only.</summary>
    public RehearsalConfig? Rehearsal { get; init; }

    public RolloutPolicy? Rollout { get; init; }

    /// <summary>How the local platform serves the lane (its fields over the defaults'); null: the defaults'.</summary>
    public ServingPolicy? Serving { get; init; }

    /// <summary>How many releases keep their release tag (its fields over the defaults'); null: the defaults'.</summary>
    public ReleaseTagPolicy? ReleaseTags { get; init; }

    /// <value>The default readiness probe is <c>/readyz</c>.</value>
    public string Probe { get; init; } = "/readyz";

    public IReadOnlyList<SmokeCheck> Smoke { get; init; } = [];

    /// <summary>Checks that must pass before a deploy to an environment starts (<c>verify</c>), per environment in file order.</summary>
    public IReadOnlyList<VerifyConfig> Verify { get; init; } = [];

    public IReadOnlyList<FileRef> Runbooks { get; init; } = [];

    /// <summary>Environment variables for every revision, job and run of this lane.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Variables every revision of the lane must have (<c>requires</c>), checked before a deploy changes anything.</summary>
    public IReadOnlyList<Requirement> Requires { get; init; } = [];

    /// <summary>A binary lane's canonical command, e.g. <c>cargo run --manifest-path … -- &lt;command&gt;</c>.</summary>
    public CommandText? Run { get; init; }

    public SourcePos Pos { get; init; }

    /// <summary>The lane's (first) target in <paramref name="environment"/>; an environment in several regions has more (<see cref="TargetsIn"/>).</summary>
    public Target? FindTarget(string environment) => Targets.FirstOrDefault(t => t.Environment == environment);

    /// <summary>The lane's targets in <paramref name="environment"/>, in wave order: one, or one per region; empty where it skips the environment.</summary>
    public IReadOnlyList<Target> TargetsIn(string environment) => [.. Targets.Where(t => t.Environment == environment)];

    /// <summary>The environments the lane has targets in, each once, in order.</summary>
    [JsonIgnore]
    public IEnumerable<string> TargetEnvironments => Targets.Select(t => t.Environment).Distinct(StringComparer.Ordinal);

    /// <summary>Why the lane has nothing in <paramref name="environment"/>, an environment of the matrix it skips.</summary>
    public string Skips(string environment) =>
        Targets.Count == 0
            ? $"lane '{Name}' has no targets, so it has nothing in '{environment}'"
            : $"lane '{Name}' skips environment '{environment}' (it deploys to {string.Join(", ", TargetEnvironments)})";
}

/// <summary>A lane in one environment, on one platform.</summary>
public sealed record Target
{
    public required string Environment { get; init; }

    public required PlatformKind Platform { get; init; }

    public string? Project { get; init; }

    public string? Region { get; init; }

    /// <summary>The platform's service name (Cloud Run service; the local platform's service).</summary>
    public required string Service { get; init; }

    public string? Image { get; init; }

    /// <summary>The migration job's name in this environment (defaults to the lane's job).</summary>
    public string? Job { get; init; }

    /// <summary>The local platform's stable listener port for this service.</summary>
    public int? Port { get; init; }

    /// <summary>The host name users reach the service at (a Cloud Run domain mapping, e.g. <c>staging.openagents.com</c>); null when none.</summary>
    public string? Domain { get; init; }

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Requirements this target adds to the lane's (<c>requires</c>; one naming the same variable replaces the lane's); null: the lane's alone.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Requirement>? Requires { get; init; }

    /// <summary>What a deploy here does with traffic (<c>traffic</c>), over the lane's and the environment's; null: theirs.</summary>
    public TrafficPolicy? Traffic { get; init; }

    /// <summary>
    /// How its environment's targets run when the environment has several (one per region: <c>regions</c>, or a list of
    /// targets); null for the only target of its environment, which keeps its names and state keys as written.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public WaveOrder? Order { get; init; }

    /// <summary>One of several targets (regions) of its environment.</summary>
    [JsonIgnore]
    public bool Regional => Order is not null;

    /// <summary>The environment as people read it: <c>production</c>, or <c>production, us-east1</c> for one of several regions.</summary>
    [JsonIgnore]
    public string Where => Regional ? $"{Environment}, {Region}" : Environment;

    /// <summary>Where the target is written: its key under <c>targets</c>, its item under <c>regions</c>, or its item in the lane's <c>environments</c> when it is not written.</summary>
    public SourcePos Pos { get; init; }
}

/// <summary>How a lane's image is built: Cloud Build for Cloud Run, a command for the local platform.</summary>
public sealed record BuildConfig
{
    public CloudBuildConfig? CloudBuild { get; init; }

    public LocalBuildConfig? Local { get; init; }

    public SourcePos Pos { get; init; }
}

public sealed record CloudBuildConfig
{
    public required FileRef Config { get; init; }

    /// <summary>Extra substitutions; <c>_TAG</c> is always set to the tag.</summary>
    public IReadOnlyDictionary<string, string> Substitutions { get; init; } = new Dictionary<string, string>();

    /// <summary>Where each key of <see cref="Substitutions"/> is written, so a rule about one key points at it.</summary>
    public IReadOnlyDictionary<string, SourcePos> SubstitutionPositions { get; init; } = new Dictionary<string, SourcePos>();
}

public sealed record LocalBuildConfig
{
    public required CommandText Command { get; init; }

    /// <summary>The file the command produces, stored content-addressed as the lane's local image.</summary>
    public required string Artifact { get; init; }
}

/// <summary>A lane's <c>rehearsal</c> section: what a rehearsal does beyond copying the environment's data folder.</summary>
public sealed record RehearsalConfig
{
    /// <summary>
    /// A command (<c>rehearsal.data.command</c>) that loads the scratch data before the stable release starts, e.g. a
    /// <c>pg_dump --schema-only</c> of the environment's database into a scratch database on a local PostgreSQL; null: none.
    /// </summary>
    public CommandText? DataCommand { get; init; }

    /// <value>The default is 5 minutes (<c>rehearsal.data.timeout</c>, 1 s to 2 h).</value>
    public TimeSpan DataTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public SourcePos Pos { get; init; }
}

/// <summary>The one-shot job that runs the same image as the service before it takes traffic.</summary>
public sealed record MigrationConfig
{
    public string? Job { get; init; }

    /// <summary>Deploys of this lane must run the job, and a rollout cannot start before it succeeded.</summary>
    public bool Mandatory { get; init; }

    /// <summary>
    /// Arguments given to the lane's program to run the migration: the local artifact's arguments, and on
    /// Cloud Run the job container's arguments (<c>gcloud run jobs update --args</c>, as the seed's migrate helper sets them).
    /// </summary>
    public CommandText? Command { get; init; }

    /// <summary>The job container's command on Cloud Run (<c>gcloud run jobs update --command</c>); null keeps the image's entrypoint.</summary>
    public string? Entrypoint { get; init; }

    public SourcePos Pos { get; init; }

    public string? JobFor(Target target) => target.Job ?? Job;
}

/// <summary>An HTTP check run against a freshly deployed revision.</summary>
public sealed record SmokeCheck
{
    public required string Path { get; init; }

    /// <value>The default expected status is 200.</value>
    public int Expect { get; init; } = 200;

    public string? Contains { get; init; }
}
