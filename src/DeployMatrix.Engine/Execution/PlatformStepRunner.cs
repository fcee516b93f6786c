using System.Globalization;
using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Drift;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Execution;

/// <summary>Runs one step of a plan; the executor around it journals, reports and writes the receipt.</summary>
public interface IStepRunner
{
    /// <returns>A short detail for the journal and the output; a failure throws <see cref="PlatformException"/>.</returns>
    Task<string?> RunAsync(Step step, StepContext context, CancellationToken ct);
}

/// <summary>Runs steps through a platform's API (<see cref="IPlatform"/>): the local agent, or Cloud Run's Admin API.</summary>
public sealed class PlatformStepRunner(IPlatform platform) : IStepRunner
{
    public async Task<string?> RunAsync(Step step, StepContext context, CancellationToken ct)
    {
        var target = context.Target;
        switch (step)
        {
            case CheckImage check:
            {
                var image = await ImageAsync(context, check.Image, ct);
                return image == check.Image ? $"{image} exists" : $"{check.Image} is {image}";
            }

            case CheckService:
                return await PreflightChecks.ServiceAsync(platform, context, ct);

            case CheckPermissions check:
                return await PreflightChecks.PermissionsAsync(platform, check, context, ct);

            case CheckRequirements check:
                return await PreflightChecks.RequirementsAsync(platform, check, context, ct);

            case DeployRevision deploy:
            {
                var image = await ImageAsync(context, deploy.Image, ct);
                var before = await platform.GetServiceAsync(target, ct);
                context.Facts["traffic_before"] = PlanExecutor.FormatTraffic(before.Traffic);
                context.ChangeBegins(before.Traffic);
                // The seed's deploy report names the revision to roll back to.
                if (context.StableOf(before.Traffic, before.Revisions) is { } stable)
                {
                    context.Facts["rollback_to"] = stable;
                }

                var revision = await platform.DeployRevisionAsync(target, image, context.Plan.Tag, deploy.NoTraffic, deploy.TrafficTag, ct);
                context.NewRevision = revision.Name;
                context.Facts["revision"] = revision.Name;
                context.Facts["image"] = image;
                if (revision.Digest is { } digest)
                {
                    // What the platform says the revision runs outranks what the tag was bound to.
                    context.Facts["digest"] = digest;
                }

                if (!deploy.NoTraffic)
                {
                    // traffic: direct — the deploy itself moved traffic; the receipt says where it went, as read back.
                    var after = await platform.GetServiceAsync(target, ct);
                    context.Facts["traffic_after"] = PlanExecutor.FormatTraffic(after.Traffic);
                    if (revision.Status == "ready" && !after.Traffic.Any(t => t.Revision == revision.Name && t.Percent == 100))
                    {
                        throw new PlatformException($"revision {revision.Name} of {target.Service} was deployed to take all traffic but serves {PlanExecutor.FormatTraffic(after.Traffic)}");
                    }
                }

                return $"revision {revision.Name}";
            }

            case VerifyServiceImage verify:
            {
                var expected = await ImageAsync(context, verify.Image, ct);
                var service = await platform.GetServiceAsync(target, ct);
                var latest = service.Revisions.FirstOrDefault(r => r.Name == (context.NewRevision ?? service.LatestCreatedRevision));
                context.Facts["deployed_image"] = latest?.Image ?? "";
                if (RevisionImageCheck.Mismatch(latest, expected, context.BoundDigest) is { } mismatch)
                {
                    throw new PlatformException($"{verify.Target.Service} {mismatch}");
                }

                context.Facts["deployed_image"] = expected;
                return latest!.Image == expected ? expected : $"{expected} ({latest.Image})";
            }

            case ResolveServiceImage resolve:
            {
                var service = await platform.GetServiceAsync(target, ct);
                context.ResolvedImage = service.Image ?? throw new PlatformException($"{resolve.Target.Service} has no current image; deploy it first");
                return context.ResolvedImage;
            }

            case UpdateJobImage update:
            {
                var image = await ImageAsync(context, update.Image, ct);
                await platform.UpdateJobImageAsync(target, update.Job, image, update.Entrypoint, update.Args ?? [], ct);
                context.Facts["migrate_job"] = update.Job;
                return image;
            }

            case VerifyJobImage verifyJob:
            {
                var expected = await ImageAsync(context, verifyJob.Image, ct);
                var actual = await platform.GetJobImageAsync(target, verifyJob.Job, ct);
                return actual == expected ? actual : throw new PlatformException($"job {verifyJob.Job} is set to {actual ?? "nothing"}, not {expected}");
            }

            case ExecuteJob execute:
            {
                JobExecution execution;
                try
                {
                    execution = await platform.ExecuteJobAsync(target, execute.Job, execute.Command, context.JobRun, ct);
                }
                catch (ExecutionCancelledException e)
                {
                    context.Facts["migrate_execution"] = e.Execution; // the receipt names what was stopped or awaited
                    throw;
                }

                context.Facts["migrate_execution"] = execution.Name;
                if (!execution.Succeeded)
                {
                    throw new PlatformException(
                        $"migration job {execute.Job} failed (execution {execution.Name}, {execution.Tasks ?? $"exit {execution.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}"}); logs: {execution.LogLocation}",
                        execution.ExitCode is > 0 and < 256 ? execution.ExitCode.Value : ExitCodes.Failed);
                }

                return $"execution {execution.Name} succeeded; logs: {execution.LogLocation}";
            }

            case CheckDrift drift:
            {
                var expected = await ImageAsync(context, drift.Image, ct);
                var report = await DriftCheck.RunAsync(platform, target, drift.Job, expected, ct);
                context.Facts["drift"] = report.Ok ? "none" : report.Problem!;
                return report.Ok ? "service, job and latest execution run the same image" : throw new PlatformException($"drift: {report.Problem}");
            }

            case RunSmokeCheck { Domain: not null } smoke:
                return await DomainSmokeAsync(smoke, target, context, ct);

            case RunSmokeCheck smoke:
            {
                var revision = smoke.Revision.Role == RevisionRole.New ? context.NewRevision : null;
                var url = new Uri(await platform.UrlAsync(target, revision, ct), smoke.Path);
                return await SmokeProbe.GetAsync(url, smoke.Expect, smoke.Contains, await platform.InvokerCredentialsAsync(target, url, ct), target.Serving.Protocol == ServingProtocol.H2c,
                    whenRefused: null, context.RecordSmoke, ct);
            }

            case SetTraffic traffic:
            {
                var before = await platform.GetServiceAsync(target, ct);
                // A deploy's "before" is the split its first change found (a direct deploy's revision already serves here).
                context.Facts.TryAdd("traffic_before", PlanExecutor.FormatTraffic(before.Traffic));
                if (context.BeginsAChange && context.Plan.Action != PlanAction.Deploy)
                {
                    context.ChangeBegins(before.Traffic);
                }

                var splits = new List<TrafficAssignment>();
                foreach (var split in traffic.Splits)
                {
                    splits.Add(new TrafficAssignment(Resolve(split.Revision, target, before, context), split.Percent));
                }

                await platform.SetTrafficAsync(target, splits, ct);
                context.Facts["traffic_after"] = PlanExecutor.FormatTraffic(splits);
                return PlanExecutor.FormatTraffic(splits);
            }

            case RemoveTrafficTags tidy:
            {
                var service = await platform.GetServiceAsync(target, ct);
                var remove = ReleaseTagTidy.ToRemove(service.Tags, [.. service.Revisions.Select(r => r.Name)], [.. service.Traffic.Where(t => t.Percent > 0).Select(t => t.Revision)], tidy.Keep);
                if (remove.Count == 0)
                {
                    return $"no release tags beyond the newest {tidy.Keep} releases";
                }

                await platform.RemoveTrafficTagsAsync(target, remove, ct);
                context.Facts["tags_removed"] = string.Join(",", remove);
                return $"removed {string.Join(", ", remove)}";
            }

            case DescribeStatus status:
            {
                var service = await platform.GetServiceAsync(target, ct);
                return $"traffic {PlanExecutor.FormatTraffic(service.Traffic)}; latest created {service.LatestCreatedRevision}, latest ready {service.LatestReadyRevision}";
            }

            default:
                throw new PlatformException($"this platform cannot run '{step.KindName}' steps", ExitCodes.BadInput);
        }
    }

    /// <summary>A plan's revision role named, from the service as it was read just before the traffic step.</summary>
    /// <summary>
    /// A smoke check of what the service serves, on its domain when the mapping is ready, else on the service's URL;
    /// the receipt keeps the domain, its status and which address was checked (<c>domain</c>, <c>domain_status</c>, <c>smoke_via</c>).
    /// </summary>
    private async Task<string> DomainSmokeAsync(RunSmokeCheck smoke, ResolvedTarget target, StepContext context, CancellationToken ct)
    {
        var address = await ServiceAddress.OfAsync(platform, target with { Domain = smoke.Domain }, null, ct);
        context.Facts["domain"] = smoke.Domain!;
        context.Facts["domain_status"] = address.Mapping!.Status;
        context.Facts["smoke_via"] = address.ViaDomain ? smoke.Domain! : "service URL";
        var url = new Uri(address.Base, smoke.Path);
        var credentials = await platform.InvokerCredentialsAsync(target, address.CredentialsUrl(url), ct);
        try
        {
            return $"{await SmokeProbe.GetAsync(url, smoke.Expect, smoke.Contains, credentials, target.Serving.Protocol == ServingProtocol.H2c, whenRefused: null, context.RecordSmoke, ct)} {address.Via}";
        }
        catch (PlatformException e)
        {
            throw new PlatformException($"{e.Message} ({address.Via})", e.ExitCode);
        }
    }

    private static string Resolve(RevisionRef reference, ResolvedTarget target, ServiceStatus service, StepContext context)
    {
        if (reference.Name is { } name)
        {
            return name;
        }

        return reference.Role switch
        {
            RevisionRole.New => context.NewRevision ?? throw new PlatformException("no revision was deployed by this plan"),
            RevisionRole.Stable => context.RollbackTarget(service.Traffic, service.Revisions),
            _ => service.LatestReadyRevision ?? throw new PlatformException($"{target.Service} has no ready revision; deploy it first"),
        };
    }

    /// <summary>The exact image for a plan image (cached: one plan deploys one image).</summary>
    private async Task<string> ImageAsync(StepContext context, string image, CancellationToken ct)
    {
        if (image == ImageRefs.ServiceCurrent)
        {
            return context.ResolvedImage ?? throw new PlatformException("the service's current image was not resolved");
        }

        if (!context.Images.TryGetValue(image, out var resolved))
        {
            resolved = await platform.ResolveImageAsync(context.Target, image, ct);
            context.Images[image] = resolved;
        }

        return resolved;
    }
}
