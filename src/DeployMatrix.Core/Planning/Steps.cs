using System.Text.Json.Serialization;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Core.Planning;

public enum RevisionRole
{
    /// <summary>A revision named explicitly.</summary>
    Named,

    /// <summary>The revision serving traffic before the change (resolved at run time).</summary>
    Stable,

    /// <summary>The newest ready revision (resolved at run time).</summary>
    Canary,

    /// <summary>The revision created by this plan's deploy step.</summary>
    New,

    /// <summary>The latest ready revision, as gcloud's LATEST (resolved at run time).</summary>
    Latest,
}

/// <summary>A revision as a plan names it: by name, or by role to be resolved when the step runs.</summary>
public sealed record RevisionRef(RevisionRole Role, string? Name = null)
{
    public static readonly RevisionRef Stable = new(RevisionRole.Stable);
    public static readonly RevisionRef Canary = new(RevisionRole.Canary);
    public static readonly RevisionRef New = new(RevisionRole.New);
    public static readonly RevisionRef Latest = new(RevisionRole.Latest);

    public static RevisionRef Named(string name) => new(RevisionRole.Named, name);

    /// <summary>The plan's new revision, known by its traffic tag too (so gcloud can move traffic by the tag: <c>--to-tags</c>).</summary>
    public static RevisionRef NewTagged(string tag) => new(RevisionRole.New) { Tag = tag };

    /// <summary>The traffic tag the revision carries, where the plan knows it.</summary>
    [JsonPropertyName("tag")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Tag { get; init; }

    /// <summary>How the revision is written in commands: its name, or the role in capitals until resolved.</summary>
    public override string ToString() => Name ?? Role.ToString().ToUpperInvariant();
}

public sealed record TrafficSplit(RevisionRef Revision, int Percent);

/// <summary>One typed step of a plan. Executors switch on the concrete type; renderers describe it.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(BuildImage), "build-image")]
[JsonDerivedType(typeof(BuildArtifact), "build-artifact")]
[JsonDerivedType(typeof(CheckImage), "check-image")]
[JsonDerivedType(typeof(CheckService), "check-service")]
[JsonDerivedType(typeof(CheckPermissions), "check-permissions")]
[JsonDerivedType(typeof(CheckRequirements), "check-requires")]
[JsonDerivedType(typeof(RunVerifyCheck), "verify-check")]
[JsonDerivedType(typeof(DeployRevision), "deploy-revision")]
[JsonDerivedType(typeof(VerifyServiceImage), "verify-service-image")]
[JsonDerivedType(typeof(ResolveServiceImage), "resolve-service-image")]
[JsonDerivedType(typeof(RunSmokeCheck), "smoke-check")]
[JsonDerivedType(typeof(UpdateJobImage), "update-job-image")]
[JsonDerivedType(typeof(VerifyJobImage), "verify-job-image")]
[JsonDerivedType(typeof(ExecuteJob), "execute-job")]
[JsonDerivedType(typeof(CheckDrift), "check-drift")]
[JsonDerivedType(typeof(SetTraffic), "set-traffic")]
[JsonDerivedType(typeof(RemoveTrafficTags), "remove-tags")]
[JsonDerivedType(typeof(RunGateCheck), "gate-check")]
[JsonDerivedType(typeof(AnalyseStage), "analysis")]
[JsonDerivedType(typeof(DescribeStatus), "describe-status")]
[JsonDerivedType(typeof(RunBinary), "run-binary")]
[JsonDerivedType(typeof(WriteReceipt), "write-receipt")]
public abstract record Step
{
    private static readonly Dictionary<Type, string> Kinds = typeof(Step)
        .GetCustomAttributes(typeof(JsonDerivedTypeAttribute), inherit: false)
        .Cast<JsonDerivedTypeAttribute>()
        .ToDictionary(a => a.DerivedType, a => (string)a.TypeDiscriminator!);

    /// <summary>The step's kind as plans, journals and receipts name it (e.g. <c>deploy-revision</c>).</summary>
    public string KindName => Kinds[GetType()];

    /// <summary>One line for people: what the step does.</summary>
    public abstract string Describe();
}

/// <summary>A step that acts on one lane's target.</summary>
public abstract record TargetStep(TargetRef Target) : Step;

/// <summary>Image reference used when a step should act on the service's current image (the rerun helper).</summary>
public static class ImageRefs
{
    public const string ServiceCurrent = "$IMAGE";
}

/// <summary>
/// Cloud Build: submit the lane's config with <c>_TAG</c>; pushes <c>…:TAG</c> (and <c>:latest</c>).
/// <paramref name="Project"/> is where the API builds; gcloud, like the seed, uses its configured project.
/// </summary>
public sealed record BuildImage(string Lane, string Tag, string? Image, string Config, IReadOnlyDictionary<string, string> Substitutions, string? Project = null) : Step
{
    public override string Describe() => $"build {Image ?? Lane} with Cloud Build ({Config})";
}

/// <summary>Local platform: run the lane's build command and store its artifact content-addressed.</summary>
public sealed record BuildArtifact(string Lane, string Tag, IReadOnlyList<string> Command, string Artifact) : Step
{
    public override string Describe() => $"build {Lane} locally and store {Artifact} as local://{Lane}@sha256:… tagged {Tag}";
}

/// <summary>
/// One of the lane's <c>verify</c> checks for the environment (<see cref="VerifyConfig"/>), run by the engine with the gate's
/// runner for its kind before the deploy's first platform change; a failed or skipped required check stops the plan with
/// nothing changed. <paramref name="Check"/> says what it does (a command's text, an endpoint); <paramref name="Run"/> is a
/// command check's words, which run in the matrix's folder (null for other kinds).
/// </summary>
public sealed record RunVerifyCheck(TargetRef Target, string CheckId, string Type, string Check, bool Required, IReadOnlyList<string>? Run = null) : TargetStep(Target)
{
    public override string Describe() => $"verify {CheckId} ({Type}{(Required ? "" : ", optional")}): {Check}";
}

/// <summary>
/// Creates the release's revision with no traffic and the traffic tag <paramref name="TrafficTag"/>
/// (<see cref="TrafficTags.For"/>), so it has a URL of its own for the checks that run before any user reaches it;
/// with <paramref name="NoTraffic"/> false (<c>traffic: direct</c> only), untagged with all traffic at once.
/// </summary>
public sealed record DeployRevision(TargetRef Target, string Image, bool NoTraffic, string? TrafficTag = null) : TargetStep(Target)
{
    public override string Describe() =>
        $"deploy {Image} as a new revision of {Target}{(NoTraffic ? " with no traffic" : " taking all traffic")}{(TrafficTag is null ? "" : $", tagged {TrafficTag}")}";
}

/// <summary>Fails the plan unless the service's latest revision runs exactly the requested image.</summary>
public sealed record VerifyServiceImage(TargetRef Target, string Image) : TargetStep(Target)
{
    public override string Describe() => $"verify that {Target.Service} runs {Image}";
}

/// <summary>Reads the service's current image for the steps after it (the migrate rerun helper).</summary>
public sealed record ResolveServiceImage(TargetRef Target) : TargetStep(Target)
{
    public override string Describe() => $"read the current image of {Target.Service}";
}

/// <summary>
/// A GET that must answer <paramref name="Expect"/>: on the new revision's own URL (its traffic tag's, <paramref name="TrafficTag"/>),
/// or on the service's — through its <see cref="Domain"/> once the domain mapping is ready.
/// </summary>
public sealed record RunSmokeCheck(TargetRef Target, RevisionRef Revision, string Path, int Expect, string? Contains, string? TrafficTag = null) : TargetStep(Target)
{
    /// <summary>
    /// The target's domain, for a check of what the service serves after a deploy moved traffic: the request goes
    /// there when the mapping routes to the service, Ready and with its certificate, else to the service's URL
    /// (the seed's staging runbook); the receipt records which. Null: no domain.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Domain { get; init; }

    public override string Describe() =>
        $"smoke check GET {Path} on {(Domain is { } domain ? $"{domain} once its domain mapping is ready, else {Target.Service}'s URL" : Revision.Role switch { RevisionRole.New => "the new revision's own URL", RevisionRole.Canary => "the canary's own URL", _ => Target.Service })} expects {Expect}{(Contains is null ? "" : $" and body containing '{Contains}'")}";
}

/// <summary>
/// Points the migration job at the release's image, with the container's command (<paramref name="Entrypoint"/>,
/// null keeps the image's) and arguments (<paramref name="Args"/>, empty keeps the job's) as the seed's migrate helper sets them.
/// </summary>
public sealed record UpdateJobImage(TargetRef Target, string Job, string Image, string? Entrypoint = null, IReadOnlyList<string>? Args = null) : TargetStep(Target)
{
    public override string Describe()
    {
        var args = string.Join(' ', (Args ?? []).Select(CommandWords.Quote));
        var runs = Entrypoint is { } entrypoint ? $" running {CommandWords.Quote(entrypoint)}{(args.Length > 0 ? " " + args : "")}"
            : args.Length > 0 ? $" with arguments {args}" : "";
        return $"point migration job {Job} at {Image}{runs}";
    }
}

public sealed record VerifyJobImage(TargetRef Target, string Job, string Image) : TargetStep(Target)
{
    public override string Describe() => $"verify that job {Job} runs {Image}";
}

/// <summary>Runs the migration job and waits; a failure stops the plan with the job's exit status.</summary>
public sealed record ExecuteJob(TargetRef Target, string Job, string Image, IReadOnlyList<string> Command) : TargetStep(Target)
{
    public override string Describe() => $"execute migration job {Job} and wait for it";
}

/// <summary>The six drift conditions: service, job and last execution must all run the same, expected image.</summary>
public sealed record CheckDrift(TargetRef Target, string Job, string Image) : TargetStep(Target)
{
    public override string Describe() => $"check drift: {Target.Service}, job {Job} and its latest successful execution all run {Image}";
}

public sealed record SetTraffic(TargetRef Target, IReadOnlyList<TrafficSplit> Splits) : TargetStep(Target)
{
    public override string Describe() =>
        $"set traffic of {Target.Service}: {string.Join(", ", Splits.Select(s => $"{Label(s.Revision)} {s.Percent}%"))}";

    private static string Label(RevisionRef r) => r.Role switch
    {
        RevisionRole.New => "new revision",
        RevisionRole.Stable => "stable",
        RevisionRole.Canary => "canary",
        RevisionRole.Latest => "latest ready revision",
        _ => r.Name!,
    };
}

/// <summary>
/// Removes the traffic tags DeployMatrix created beyond the newest <paramref name="Keep"/> releases; the tags of
/// revisions that serve traffic and every tag it did not create stay.
/// </summary>
public sealed record RemoveTrafficTags(TargetRef Target, int Keep) : TargetStep(Target)
{
    public override string Describe() =>
        $"remove the release tags ({TrafficTags.Prefix}…) of {Target.Service} beyond the newest {Keep} releases, keeping the serving revisions' and every other tag";
}

/// <summary>
/// A gate check of the lane (<c>http</c>) run against the canary alone at a rollout's 0% stage, in the rollout's
/// environment (<c>rollout.gate-checks</c>); a failure ends the rollout before any user reaches the canary.
/// </summary>
public sealed record RunGateCheck(TargetRef Target, string CheckId, string Method, string Path) : TargetStep(Target)
{
    public override string Describe() => $"gate check {CheckId}: {Method} {Path} on the canary's own URL";
}

/// <summary>
/// A rollout stage's analysis: the window at the stage's split, then canary against stable by the lane's gates
/// (the seed's runbook). Run natively by the rollout; a failed stage sends all traffic back to stable.
/// </summary>
/// <param name="Percent">The canary's share during the window (%).</param>
/// <param name="Window">The analysis window (extended while inconclusive, up to the policy's extensions).</param>
public sealed record AnalyseStage(TargetRef Target, int Percent, TimeSpan Window, RolloutGates Gates) : TargetStep(Target)
{
    public override string Describe() =>
        $"analysis at canary {Percent}%: wait {Durations.Format(Window)}, then compare canary with stable (5xx rate under {Gates.Max5xxRatePercent.ToString(System.Globalization.CultureInfo.InvariantCulture)}%, "
        + $"{string.Join(", ", Gates.LatencyGates.Select(g => g.Describe()))}, at least {Gates.MinRequests} requests each); a failure sends 100% back to stable";
}

public sealed record DescribeStatus(TargetRef Target) : TargetStep(Target)
{
    public override string Describe() => $"show traffic, latest created and latest ready revision of {Target.Service}";
}

/// <summary>A binary lane's canonical command, run as an argument array (never through a shell).</summary>
public sealed record RunBinary(string Lane, IReadOnlyList<string> Command, IReadOnlyDictionary<string, string> Env) : Step
{
    public override string Describe() => $"run {string.Join(' ', Command.Select(CommandWords.Quote))}";
}

public sealed record WriteReceipt(TargetRef Target, string Action, string Image) : TargetStep(Target)
{
    public override string Describe() => $"write the {Action} receipt for {Target.Service}";
}
