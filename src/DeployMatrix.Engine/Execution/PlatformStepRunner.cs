using System.Globalization;
using DeployMatrix.Core;
using DeployMatrix.Core.Planning;
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
        switch (step)
        {
            case DeployRevision deploy:
            {
                var image = await ImageAsync(context, deploy.Target, deploy.Image, ct);
                var before = await platform.GetServiceAsync(deploy.Target, ct);
                context.Facts["traffic_before"] = PlanExecutor.FormatTraffic(before.Traffic);
                // The seed's deploy report names the revision to roll back to.
                if ((before.Traffic.OrderByDescending(t => t.Percent).FirstOrDefault()?.Revision ?? before.StableRevision) is { } stable)
                {
                    context.Facts["rollback_to"] = stable;
                }

                var revision = await platform.DeployRevisionAsync(deploy.Target, image, deploy.NoTraffic, ct);
                context.NewRevision = revision.Name;
                context.Facts["revision"] = revision.Name;
                context.Facts["image"] = image;
                return $"revision {revision.Name}";
            }

            case VerifyServiceImage verify:
            {
                var expected = await ImageAsync(context, verify.Target, verify.Image, ct);
                var service = await platform.GetServiceAsync(verify.Target, ct);
                var latest = service.Revisions.FirstOrDefault(r => r.Name == (context.NewRevision ?? service.LatestCreatedRevision));
                context.Facts["deployed_image"] = latest?.Image ?? "";
                if (latest?.Image != expected)
                {
                    throw new PlatformException($"{verify.Target.Service} runs {latest?.Image ?? "nothing"}, not the requested {expected}");
                }

                return latest.Image;
            }

            case ResolveServiceImage resolve:
            {
                var service = await platform.GetServiceAsync(resolve.Target, ct);
                context.ResolvedImage = service.Image ?? throw new PlatformException($"{resolve.Target.Service} has no current image; deploy it first");
                return context.ResolvedImage;
            }

            case UpdateJobImage update:
            {
                var image = await ImageAsync(context, update.Target, update.Image, ct);
                await platform.UpdateJobImageAsync(update.Target, update.Job, image, ct);
                context.Facts["migrate_job"] = update.Job;
                return image;
            }

            case VerifyJobImage verifyJob:
            {
                var expected = await ImageAsync(context, verifyJob.Target, verifyJob.Image, ct);
                var actual = await platform.GetJobImageAsync(verifyJob.Target, verifyJob.Job, ct);
                return actual == expected ? actual : throw new PlatformException($"job {verifyJob.Job} is set to {actual ?? "nothing"}, not {expected}");
            }

            case ExecuteJob execute:
            {
                var execution = await platform.ExecuteJobAsync(execute.Target, execute.Job, execute.Command, ct);
                context.Facts["migrate_execution"] = execution.Name;
                if (!execution.Succeeded)
                {
                    throw new PlatformException(
                        $"migration job {execute.Job} failed (execution {execution.Name}, exit {execution.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}); logs: {execution.LogLocation}",
                        execution.ExitCode is > 0 and < 256 ? execution.ExitCode.Value : ExitCodes.Failed);
                }

                return $"execution {execution.Name} succeeded; logs: {execution.LogLocation}";
            }

            case CheckDrift drift:
            {
                var expected = await ImageAsync(context, drift.Target, drift.Image, ct);
                var report = await DriftCheck.RunAsync(platform, drift.Target, drift.Job, expected, ct);
                context.Facts["drift"] = report.Ok ? "none" : report.Problem!;
                return report.Ok ? "service, job and latest execution run the same image" : throw new PlatformException($"drift: {report.Problem}");
            }

            case RunSmokeCheck smoke:
            {
                var revision = smoke.Revision.Role == RevisionRole.New ? context.NewRevision : null;
                var url = new Uri(await platform.UrlAsync(smoke.Target, revision, ct), smoke.Path);
                return await SmokeProbe.GetAsync(url, smoke.Expect, smoke.Contains, ct);
            }

            case SetTraffic traffic:
            {
                var splits = new List<TrafficAssignment>();
                foreach (var split in traffic.Splits)
                {
                    splits.Add(new TrafficAssignment(await ResolveAsync(split.Revision, traffic.Target, context, ct), split.Percent));
                }

                await platform.SetTrafficAsync(traffic.Target, splits, ct);
                context.Facts["traffic_after"] = PlanExecutor.FormatTraffic(splits);
                return PlanExecutor.FormatTraffic(splits);
            }

            case DescribeStatus status:
            {
                var service = await platform.GetServiceAsync(status.Target, ct);
                return $"traffic {PlanExecutor.FormatTraffic(service.Traffic)}; latest created {service.LatestCreatedRevision}, latest ready {service.LatestReadyRevision}";
            }

            default:
                throw new PlatformException($"this platform cannot run '{step.KindName}' steps", ExitCodes.BadInput);
        }
    }

    private async Task<string> ResolveAsync(RevisionRef reference, TargetRef target, StepContext context, CancellationToken ct)
    {
        if (reference.Name is { } name)
        {
            return name;
        }

        if (reference.Role == RevisionRole.New)
        {
            return context.NewRevision ?? throw new PlatformException("no revision was deployed by this plan");
        }

        var service = await platform.GetServiceAsync(target, ct);
        return reference.Role switch
        {
            RevisionRole.Stable => service.StableRevision ?? service.Traffic.OrderByDescending(t => t.Percent).FirstOrDefault()?.Revision
                ?? throw new PlatformException($"{target.Service} has no stable revision yet (none has held 100% of traffic); name one with --to"),
            _ => service.LatestReadyRevision ?? throw new PlatformException($"{target.Service} has no ready revision; deploy it first"),
        };
    }

    /// <summary>The exact image for a plan image (cached: one plan deploys one image).</summary>
    private async Task<string> ImageAsync(StepContext context, TargetRef target, string image, CancellationToken ct)
    {
        if (image == ImageRefs.ServiceCurrent)
        {
            return context.ResolvedImage ?? throw new PlatformException("the service's current image was not resolved");
        }

        if (!context.Images.TryGetValue(image, out var resolved))
        {
            resolved = await platform.ResolveImageAsync(target, image, ct);
            context.Images[image] = resolved;
        }

        return resolved;
    }
}
