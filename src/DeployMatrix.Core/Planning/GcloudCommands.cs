using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Core.Planning;

/// <summary>
/// The gcloud argument arrays for Cloud Run steps: what the gcloud executor runs and what
/// <c>plan --format shell</c> prints. Flags and values follow the seed's upstream scripts.
/// </summary>
public static class GcloudCommands
{
    public const string ServiceImageFormat = "value(spec.template.spec.containers[0].image)";
    public const string JobImageFormat = "value(spec.template.spec.template.spec.containers[0].image)";
    public const string UrlFormat = "value(status.url)";
    public const string NameFormat = "value(metadata.name)";

    /// <summary>What <c>gcloud artifacts docker images describe</c> prints for an image that exists: its digest.</summary>
    public const string ImageDigestFormat = "value(image_summary.digest)";
    public const string StatusFormat = "yaml(status.traffic,status.latestCreatedRevisionName,status.latestReadyRevisionName)";

    /// <summary>What <c>gcloud run jobs execute --wait</c> prints on stdout: the execution's name (the seed's migrate helper reads it so).</summary>
    public const string ExecutionFormat = "value(metadata.name)";

    /// <summary>The placeholder a tag removal carries until the tags to remove are read from the service (as STABLE is for traffic).</summary>
    public const string OldTags = "OLD_TAGS";

    /// <summary>
    /// The URL of the traffic entry tagged <paramref name="tag"/>, exactly (gcloud's projection: <c>filter("tag=…")</c>
    /// matches the whole value, <c>map().extract(url).flatten()</c> prints it bare); empty when no entry has the tag.
    /// </summary>
    public static string TagUrlFormat(string tag) => $"value(status.traffic.filter(\"tag={tag}\").map().extract(url).flatten())";

    /// <summary>The commands one step runs on Cloud Run, in order; empty for steps done natively (receipts). A smoke check reads the service URL; its request is plain HTTP.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> For(Step step) => step switch
    {
        BuildImage b =>
        [
            ["gcloud", "builds", "submit", "--config", b.Config, "--substitutions", GcloudList.Dict(b.Substitutions), "."],
        ],
        // Preflight reads: each fails (non-zero) when what it reads is missing. Only Artifact Registry's images can be read so.
        CheckImage c when c.Image.Contains("-docker.pkg.dev/", StringComparison.Ordinal) =>
        [
            ["gcloud", "artifacts", "docker", "images", "describe", c.Image, "--format", ImageDigestFormat],
        ],
        CheckService c => [[.. Run("services describe", c.Target.Service, c.Target), "--format", NameFormat]],
        CheckRequirements c => [[.. Run("services describe", c.Target.Service, c.Target), "--format", "json"]],
        // As the seed's deploy script: --quiet (never a prompt), then the tag flow's --no-traffic --tag.
        DeployRevision d =>
        [
            [.. Run("deploy", d.Target.Service, d.Target), "--image", d.Image, "--quiet", .. d.NoTraffic ? new[] { "--no-traffic" } : [], .. d.TrafficTag is { } tag ? new[] { "--tag", tag } : []],
        ],
        VerifyServiceImage or ResolveServiceImage => [[.. Run("services describe", ((TargetStep)step).Target.Service, ((TargetStep)step).Target), "--format", ServiceImageFormat]],
        // As the seed's migrate helper: the image with the container's command and arguments, --quiet.
        UpdateJobImage u =>
        [
            [
                .. Run("jobs update", u.Job, u.Target), "--image", u.Image,
                .. u.Entrypoint is { } entrypoint ? new[] { "--command", entrypoint } : [],
                .. u.Args is { Count: > 0 } args ? new[] { "--args", GcloudList.List(args) } : [],
                "--quiet",
            ],
        ],
        VerifyJobImage j => [[.. Run("jobs describe", j.Job, j.Target), "--format", JobImageFormat]],
        ExecuteJob e => [[.. Run("jobs execute", e.Job, e.Target), "--wait", "--format", ExecutionFormat]],
        CheckDrift c =>
        [
            [.. Run("services describe", c.Target.Service, c.Target), "--format", ServiceImageFormat],
            [.. Run("jobs describe", c.Job, c.Target), "--format", JobImageFormat],
            LatestExecution(c.Target, c.Job),
        ],
        // The release's own revision is moved by its tag (known when the plan is made); others by name or role.
        SetTraffic s when s.Splits is [{ Revision: { Role: RevisionRole.New, Tag: { } tag } } only] =>
        [
            [.. Run("services update-traffic", s.Target.Service, s.Target), "--to-tags", $"{tag}={only.Percent}"],
        ],
        SetTraffic s =>
        [
            [.. Run("services update-traffic", s.Target.Service, s.Target), "--to-revisions", string.Join(',', s.Splits.Select(x => $"{x.Revision}={x.Percent}"))],
        ],
        DescribeStatus s => [[.. Run("services describe", s.Target.Service, s.Target), "--format", StatusFormat]],
        RemoveTrafficTags r => [[.. Run("services update-traffic", r.Target.Service, r.Target), "--remove-tags", OldTags]],
        // A canary's own URL is its release tag's; without a tag in the plan it is read when the rollout runs.
        RunSmokeCheck { Revision.Role: RevisionRole.Canary, TrafficTag: null } => [],
        RunSmokeCheck k => [[.. Run("services describe", k.Target.Service, k.Target), "--format", k.TrafficTag is { } t ? TagUrlFormat(t) : UrlFormat]],
        RunBinary r => [r.Command],
        _ => [],
    };

    /// <summary>
    /// <paramref name="command"/> (an <c>update-traffic</c> with <c>--to-revisions</c>) also giving each revision its tag in
    /// the same update: <c>--update-tags TAG=REVISION,…</c>, which gcloud allows beside <c>--to-revisions</c> and applies
    /// keeping every other tag ("gcloud run services update-traffic", Google Cloud SDK reference). A rollout tags an
    /// untagged canary so at its 0% stage.
    /// </summary>
    public static IReadOnlyList<string> Tagging(IReadOnlyList<string> command, IReadOnlyList<(string Tag, string Revision)> tags) =>
        tags.Count == 0 ? command : [.. command, "--update-tags", string.Join(',', tags.Select(t => $"{t.Tag}={t.Revision}"))];

    /// <summary>
    /// The read that turns a traffic step's STABLE and CANARY into revision names (gcloud knows only
    /// LATEST): the service as JSON, whose <c>status.traffic</c> names the stable revision and whose
    /// <c>status.latestReadyRevisionName</c> is the canary. Null when the step names its revisions.
    /// </summary>
    /// <remarks>A deploy's move to its new revision reads it too: the split serving before is what a later rollback returns to.</remarks>
    public static IReadOnlyList<string>? Resolve(SetTraffic step) =>
        step.Splits.Any(s => s.Revision.Role is RevisionRole.Stable or RevisionRole.Canary or RevisionRole.New)
            ? [.. Run("services describe", step.Target.Service, step.Target), "--format", "json"]
            : null;

    /// <summary>The read that names the tags a <see cref="RemoveTrafficTags"/> step removes: the service as JSON (its <c>status.traffic</c> tags and revisions).</summary>
    public static IReadOnlyList<string> Resolve(RemoveTrafficTags step) => [.. Run("services describe", step.Target.Service, step.Target), "--format", "json"];

    /// <summary>The job's newest execution as JSON (Cloud Run's v1 Execution; no <c>status.completionTime</c> while it runs).</summary>
    public static IReadOnlyList<string> LatestExecution(TargetRef target, string job) =>
        ["gcloud", "run", "jobs", "executions", "list", "--job", job, "--project", target.Project!, "--region", target.Region!, "--limit", "1", "--format", "json"];

    /// <summary>Stops a running execution (what a cancelled command does to the execution it started).</summary>
    public static IReadOnlyList<string> CancelExecution(TargetRef target, string execution) =>
        ["gcloud", "run", "jobs", "executions", "cancel", execution, "--project", target.Project!, "--region", target.Region!];

    private static string[] Run(string verb, string name, TargetRef target) =>
        ["gcloud", "run", .. verb.Split(' '), name, "--project", target.Project!, "--region", target.Region!];
}
