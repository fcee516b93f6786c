using System.Text.Json.Serialization;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Resolution;

/// <summary>Which lane, in which environment, on which platform: the identity of a target as steps, receipts and platforms name it.</summary>
public sealed record TargetRef(string Lane, string Environment, PlatformKind Platform, string Service, string? Project, string? Region)
{
    /// <summary>One of several targets (regions) of its environment: receipts and state name its region too.</summary>
    [JsonIgnore]
    public bool Regional { get; init; }

    /// <summary>How state rows, locks, the journal and receipts key the target: the environment, or <c>ENV@REGION</c> for one of several regions.</summary>
    [JsonIgnore]
    public string Scope => Regional ? $"{Environment}@{Region}" : Environment;

    public override string ToString() => Platform == PlatformKind.CloudRun
        ? $"{Service} ({Environment}, cloudrun {Project}/{Region})"
        : $"{Service} ({Environment}, local)";
}

/// <summary>
/// One lane in one environment with everything decided: the matrix's defaults, the lane and the target
/// merged once by <see cref="TargetResolver"/>. Platforms and engine operations take this and never read
/// the matrix themselves.
/// </summary>
public sealed record ResolvedTarget
{
    public required string Lane { get; init; }

    public required string Environment { get; init; }

    /// <summary>Where the target runs: the target's platform, or the one a command asked for (<c>--platform</c>).</summary>
    public required PlatformKind Platform { get; init; }

    /// <summary>The platform's service name (Cloud Run service, local service).</summary>
    public required string Service { get; init; }

    /// <summary>The Google Cloud project (Cloud Run targets; null on the local platform unless written).</summary>
    public string? Project { get; init; }

    public string? Region { get; init; }

    /// <summary>The image template with <c>&lt;TAG&gt;</c>: the target's, else the lane's; null for a lane without one.</summary>
    public string? ImageTemplate { get; init; }

    /// <summary>The migration job's name in this environment (the target's <c>job</c>, else the lane's); null without a migration.</summary>
    public string? Job { get; init; }

    /// <summary>Deploys run the migration job with the same image, and a rollout waits for it to have succeeded.</summary>
    public bool MigrationMandatory { get; init; }

    /// <summary>The arguments that make the local artifact migrate (the matrix's <c>migration.command</c>); empty when none.</summary>
    public IReadOnlyList<string> MigrationCommand { get; init; } = [];

    /// <summary>The migration job container's command on Cloud Run (<c>--command</c>); null keeps the image's entrypoint.</summary>
    public string? MigrationEntrypoint { get; init; }

    /// <summary>The local platform's stable listener port (1..65535), or null for any free port.</summary>
    public int? Port { get; init; }

    /// <summary>
    /// The host name of the target's domain mapping (the seed's staging host), or null. Checks of the service go
    /// there once the mapping is ready (routes to the service, <c>Ready=True</c>, <c>CertificateProvisioned=True</c>)
    /// and to the service's URL until then.
    /// </summary>
    public string? Domain { get; init; }

    /// <value>The readiness path; the default is <c>/readyz</c> (the seed's canonical probe).</value>
    public string Probe { get; init; } = "/readyz";

    /// <summary>Environment variables for revisions, jobs and runs: the lane's, overridden by the target's.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Variables the new revision must have before a deploy goes ahead: the lane's <c>requires</c>, with the target's.</summary>
    public IReadOnlyList<Requirement> Requires { get; init; } = [];

    /// <summary>What a served binary lane passes its artifact: the words after <c>--</c> in its canonical command (e.g. <c>serve</c>).</summary>
    public IReadOnlyList<string> ServeArgs { get; init; } = [];

    /// <summary>The canary policy: the lane's (its fields over the defaults'), else the matrix defaults'.</summary>
    public required RolloutPolicy Rollout { get; init; }

    /// <summary>How the local platform serves the target: the lane's serving policy (its fields over the defaults'), else the defaults'.</summary>
    public ServingPolicy Serving { get; init; } = ServingPolicy.Default;

    /// <summary>How many releases keep their release tag: the lane's policy, else the defaults'.</summary>
    public ReleaseTagPolicy ReleaseTags { get; init; } = ReleaseTagPolicy.Default;

    /// <summary>What a deploy does with traffic after its checks: the target's <c>traffic</c>, else the lane's, else the environment's.</summary>
    /// <value>The default is <see cref="TrafficPolicy.Immediate"/>.</value>
    public TrafficPolicy Traffic { get; init; } = TrafficPolicy.Immediate;

    /// <summary>A deploy leaves traffic where it was (the seed's production): <see cref="TrafficPolicy.NoTraffic"/> or <see cref="TrafficPolicy.Rollout"/>.</summary>
    [JsonIgnore]
    public bool NoTraffic => Traffic is TrafficPolicy.NoTraffic or TrafficPolicy.Rollout;

    public IReadOnlyList<SmokeCheck> Smoke { get; init; } = [];

    /// <summary>The lane's <c>verify</c> checks for this environment: run, in order, before a deploy changes anything; empty when none.</summary>
    [JsonIgnore]
    public IReadOnlyList<GateCheck> Verify { get; init; } = [];

    /// <summary>
    /// How its environment's targets run when there are several (one per region); null for the only target of its
    /// environment. Commands that name the environment act on every target, as waves in this order.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public WaveOrder? Order { get; init; }

    /// <summary>One of several targets (regions) of its environment.</summary>
    [JsonIgnore]
    public bool Regional => Order is not null;

    /// <summary>
    /// How state rows (stable revision, maintenance, rollouts), locks, the journal and receipts key the target:
    /// the environment — as for every matrix with one target per environment — or <c>ENV@REGION</c> for one of several,
    /// so two regions of one environment never share a row.
    /// </summary>
    [JsonIgnore]
    public string Scope => Ref.Scope;

    /// <summary>
    /// How state rows about the target's service (its stable revision, maintenance) key it with its name: the
    /// environment wherever the name is unique in it — the local platform runs each region as a service of its own,
    /// which its agent looks up by environment and name — and <see cref="Scope"/> for a Cloud Run region, where the
    /// service's name repeats in every region.
    /// </summary>
    [JsonIgnore]
    public string ServiceScope => Platform == PlatformKind.Local ? Environment : Scope;

    /// <summary>The environment as people read it: <c>production</c>, or <c>production, us-east1</c> for one of several regions.</summary>
    [JsonIgnore]
    public string Where => Regional ? $"{Environment}, {Region}" : Environment;

    /// <summary>The arguments that name this target on the command line: <c>--env ENV</c>, with <c>--region R</c> for one of several.</summary>
    [JsonIgnore]
    public string Args => Regional ? $"--env {Environment} --region {Region}" : $"--env {Environment}";

    public TargetRef Ref => new(Lane, Environment, Platform, Service, Project, Region) { Regional = Regional };

    /// <summary>
    /// The image a tag names here: on the local platform the lane's stored artifact (<c>local://LANE:TAG</c>),
    /// on Cloud Run the image template with the tag in place of <c>&lt;TAG&gt;</c>.
    /// </summary>
    public string ImageFor(string tag) => Platform == PlatformKind.Local
        ? $"local://{Lane}:{tag}"
        : ImageTemplate?.Replace(Model.Lane.TagPlaceholder, tag, StringComparison.Ordinal)
            ?? throw new InvalidOperationException($"lane '{Lane}' has no image template for {Environment}; validation requires one for Cloud Run");

    public override string ToString() => Ref.ToString();
}
