using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Preflight;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Execution;

/// <summary>
/// The preflight steps on a platform's API (<see cref="Preflight"/>): reads only, each failing with one line that
/// names the fix, before the plan's first write.
/// </summary>
internal static class PreflightChecks
{
    public static async Task<string> ServiceAsync(IPlatform platform, StepContext context, CancellationToken ct)
    {
        // Cloud Run's read fails, naming how to create the service once; the local platform creates it on a first deploy.
        var service = await platform.GetServiceAsync(context.Target, ct);
        return service.Revisions.Count == 0 && service.LatestCreatedRevision is null
            ? $"{context.Target.Service} is not deployed yet; this deploy creates it"
            : $"{context.Target.Service} exists (latest ready revision {service.LatestReadyRevision ?? "none"})";
    }

    public static async Task<string> PermissionsAsync(IPlatform platform, CheckPermissions check, StepContext context, CancellationToken ct)
    {
        var missing = await platform.MissingPermissionsAsync(context.Target, check.Permissions, check.Job, check.JobPermissions, ct);
        if (missing.Count > 0)
        {
            var target = context.Target;
            throw new PlatformException(
                $"the caller lacks {string.Join(", ", missing)} on {target.Service} in {target.Project}/{target.Region}; grant a role that holds {(missing.Count == 1 ? "it" : "them")} (e.g. roles/run.developer) to the account deploying, then deploy again");
        }

        return platform.Kind == PlatformKind.Local
            ? "the local agent acts for whoever holds its token"
            : $"held: {string.Join(", ", check.Permissions.Concat(check.Job is null ? [] : check.JobPermissions.Select(p => $"{p} on {check.Job}")))}";
    }

    public static async Task<string> RequirementsAsync(IPlatform platform, CheckRequirements check, StepContext context, CancellationToken ct)
    {
        var env = await platform.NewRevisionEnvAsync(context.Target, ct);
        var unmet = RequirementCheck.Unmet(check.Requires, env, platform.Kind == PlatformKind.CloudRun, r => platform.HowToSet(context.Target, r));
        if (unmet.Count > 0)
        {
            throw new PlatformException(string.Join("; ", unmet));
        }

        var applied = check.Requires.Where(r => RequirementCheck.Holds(r, env)).ToList();
        var skipped = check.Requires.Count - applied.Count;
        return $"present: {(applied.Count == 0 ? "none required" : string.Join(", ", applied.Select(r => r.Name)))}{(skipped == 0 ? "" : $" ({skipped} not required: condition off)")}";
    }
}
