using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Core.Planning;

/// <summary>
/// The checks every deploy runs before it changes anything on the platform (the seed's staging runbook's
/// preconditions): the image, the service, the caller's permissions and the variables the revision needs.
/// A failed one stops the plan with one line naming the fix, and nothing was written.
/// </summary>
public static class Preflight
{
    /// <summary>What a deploy needs on the service (Cloud Run IAM permissions, tested with <c>services:testIamPermissions</c>).</summary>
    public static readonly IReadOnlyList<string> ServicePermissions = ["run.services.get", "run.services.update"];

    /// <summary>What a deploy's migration needs on its job (tested with <c>jobs:testIamPermissions</c>).</summary>
    public static readonly IReadOnlyList<string> JobPermissions = ["run.jobs.get", "run.jobs.update", "run.jobs.run"];

    /// <summary>The preflight steps of a deploy of <paramref name="image"/> to <paramref name="target"/>, in the order they run.</summary>
    public static IReadOnlyList<Step> For(ResolvedTarget target, string image)
    {
        var job = target.MigrationMandatory ? target.Job : null;
        List<Step> steps =
        [
            new CheckImage(target.Ref, image),
            new CheckService(target.Ref),
            new CheckPermissions(target.Ref, ServicePermissions, job, job is null ? [] : JobPermissions),
        ];
        if (target.Requires.Count > 0)
        {
            steps.Add(new CheckRequirements(target.Ref, target.Requires));
        }

        return steps;
    }

    /// <summary>
    /// The preflight steps of <c>migrate --tag</c>: the tag's image exists before the job is pointed at it, and the
    /// caller may read the service (the drift check) and update and run the job. The rerun helper (no tag) has none:
    /// it runs the service's own image, and stays the seed's commands.
    /// </summary>
    public static IReadOnlyList<Step> ForMigration(ResolvedTarget target, string image) =>
        [new CheckImage(target.Ref, image), new CheckPermissions(target.Ref, ["run.services.get"], target.Job, JobPermissions)];
}

/// <summary>
/// The image exists before anything points at it: on Cloud Run the Artifact Registry tag
/// (<c>projects.locations.repositories.packages.tags.get</c>), on the local platform the stored artifact.
/// </summary>
public sealed record CheckImage(TargetRef Target, string Image) : TargetStep(Target)
{
    public override string Describe() => $"check that image {Image} exists";
}

/// <summary>
/// The service exists: on Cloud Run it must (it is created once, with its settings, outside DeployMatrix);
/// on the local platform a first deploy creates it.
/// </summary>
public sealed record CheckService(TargetRef Target) : TargetStep(Target)
{
    public override string Describe() => Target.Platform == PlatformKind.CloudRun
        ? $"check that service {Target.Service} exists"
        : $"check service {Target.Service} (a first deploy creates it)";
}

/// <summary>The caller holds <paramref name="Permissions"/> on the service and <paramref name="JobPermissions"/> on <paramref name="Job"/> (when a migration runs).</summary>
public sealed record CheckPermissions(TargetRef Target, IReadOnlyList<string> Permissions, string? Job, IReadOnlyList<string> JobPermissions) : TargetStep(Target)
{
    public override string Describe() => Target.Platform == PlatformKind.CloudRun
        ? $"check permissions {string.Join(", ", Permissions)} on {Target.Service}{(Job is null ? "" : $" and {string.Join(", ", JobPermissions)} on job {Job}")}"
        : $"check the caller may change {Target.Service} (the local agent acts for whoever holds its token)";
}

/// <summary>The new revision's environment has every variable <paramref name="Requires"/> asks for (the lane's and target's <c>requires</c>).</summary>
public sealed record CheckRequirements(TargetRef Target, IReadOnlyList<Requirement> Requires) : TargetStep(Target)
{
    public override string Describe() => $"check required variables of {Target.Service}: {string.Join(", ", Requires.Select(r => r.Describe()))}";
}
