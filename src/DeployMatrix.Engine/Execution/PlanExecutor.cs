using System.Globalization;
using DeployMatrix.Core;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Drift;
using DeployMatrix.Engine.Platform;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Execution;

/// <summary>
/// Runs a plan's steps in order on a platform. Every step is journaled before and after it runs; the
/// first failure stops the plan with that step's exit code, and the receipt says what happened.
/// </summary>
public sealed class PlanExecutor(IPlatform platform, StateStore state, TimeProvider time, ReceiptWriter receipts, IExecutionReporter reporter)
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    public async Task<ExecutionResult> RunAsync(Plan plan, string actor, CancellationToken cancellationToken)
    {
        var context = new ExecutionContext();
        var outcomes = new List<StepOutcome>();
        var action = PlanActions.Name(plan.Action);
        state.Journal(actor, plan.Lane, plan.Environment, action, null, "started", $"tag {plan.Tag}");
        int exitCode = ExitCodes.Ok;
        string? error = null;
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            var description = step.Describe();
            reporter.StepStarted(i + 1, plan.Steps.Count, description);
            state.Journal(actor, plan.Lane, plan.Environment, action, description, "started", null);
            var started = time.GetUtcNow();
            string? detail;
            try
            {
                detail = await RunStepAsync(step, plan, context, outcomes, cancellationToken);
            }
            catch (PlatformException e)
            {
                (exitCode, error) = (e.ExitCode, e.Message);
                detail = e.Message;
            }

            var outcome = new StepOutcome(i + 1, StepKind(step), description, error is null, detail, started, time.GetUtcNow());
            outcomes.Add(outcome);
            state.Journal(actor, plan.Lane, plan.Environment, action, description, outcome.Ok ? "succeeded" : "failed", detail);
            reporter.StepFinished(outcome);
            if (error is not null)
            {
                break;
            }
        }

        state.Journal(actor, plan.Lane, plan.Environment, action, null, error is null ? "succeeded" : "failed", error);
        var receipt = context.ReceiptPath;
        if (error is not null && plan.Steps.OfType<WriteReceipt>().FirstOrDefault() is { } receiptStep)
        {
            // A failed plan still leaves a receipt: it is the evidence of what was tried.
            receipt = receipts.Write(receiptStep.Target, receiptStep.Action, plan.Tag, outcomes, context.Facts, error);
        }

        var inputs = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["tag"] = plan.Tag,
            ["platform"] = plan.Platform?.ToString().ToLowerInvariant(),
            ["revision"] = context.NewRevision,
            ["traffic"] = context.Facts.GetValueOrDefault("traffic_after"),
        };
        new Audit.AuditLog(state).Append(actor, action, plan.Lane, plan.Environment, inputs, error is null ? "succeeded" : $"failed: {error}", receipt);
        return new ExecutionResult(exitCode, error, outcomes, receipt, context.Facts);
    }

    private async Task<string?> RunStepAsync(Step step, Plan plan, ExecutionContext context, List<StepOutcome> outcomes, CancellationToken ct)
    {
        switch (step)
        {
            case DeployRevision deploy:
            {
                var image = await context.ImageAsync(platform, deploy.Target, deploy.Image, ct);
                var before = await platform.GetServiceAsync(deploy.Target, ct);
                context.Facts["traffic_before"] = FormatTraffic(before.Traffic);
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
                var expected = await context.ImageAsync(platform, verify.Target, verify.Image, ct);
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
                var image = await context.ImageAsync(platform, update.Target, update.Image, ct);
                await platform.UpdateJobImageAsync(update.Target, update.Job, image, ct);
                context.Facts["migrate_job"] = update.Job;
                return image;
            }

            case VerifyJobImage verifyJob:
            {
                var expected = await context.ImageAsync(platform, verifyJob.Target, verifyJob.Image, ct);
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
                var expected = await context.ImageAsync(platform, drift.Target, drift.Image, ct);
                var report = await DriftCheck.RunAsync(platform, drift.Target, drift.Job, expected, ct);
                context.Facts["drift"] = report.Ok ? "none" : report.Problem!;
                return report.Ok ? "service, job and latest execution run the same image" : throw new PlatformException($"drift: {report.Problem}");
            }

            case RunSmokeCheck smoke:
            {
                var revision = smoke.Revision.Role == RevisionRole.New ? context.NewRevision : null;
                var url = new Uri(await platform.UrlAsync(smoke.Target, revision, ct), smoke.Path);
                return await SmokeAsync(url, smoke.Expect, smoke.Contains, ct);
            }

            case SetTraffic traffic:
            {
                var splits = new List<TrafficAssignment>();
                foreach (var split in traffic.Splits)
                {
                    splits.Add(new TrafficAssignment(await ResolveAsync(split.Revision, traffic.Target, context, ct), split.Percent));
                }

                await platform.SetTrafficAsync(traffic.Target, splits, ct);
                context.Facts["traffic_after"] = FormatTraffic(splits);
                return FormatTraffic(splits);
            }

            case DescribeStatus status:
            {
                var service = await platform.GetServiceAsync(status.Target, ct);
                return $"traffic {FormatTraffic(service.Traffic)}; latest created {service.LatestCreatedRevision}, latest ready {service.LatestReadyRevision}";
            }

            case WriteReceipt write:
            {
                context.ReceiptPath = receipts.Write(write.Target, write.Action, plan.Tag, outcomes, context.Facts, null);
                return context.ReceiptPath;
            }

            default:
                throw new PlatformException($"this platform cannot run '{StepKind(step)}' steps", ExitCodes.BadInput);
        }
    }

    private async Task<string> ResolveAsync(RevisionRef reference, TargetRef target, ExecutionContext context, CancellationToken ct)
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

    private static async Task<string> SmokeAsync(Uri url, int expect, string? contains, CancellationToken ct)
    {
        try
        {
            using var response = await Http.GetAsync(url, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if ((int)response.StatusCode != expect)
            {
                throw new PlatformException($"smoke check GET {url.AbsolutePath} answered {(int)response.StatusCode}, expected {expect}");
            }

            if (contains is not null && !body.Contains(contains, StringComparison.Ordinal))
            {
                throw new PlatformException($"smoke check GET {url.AbsolutePath} answered without '{contains}'");
            }

            return $"GET {url.AbsolutePath} → {(int)response.StatusCode}";
        }
        catch (HttpRequestException e)
        {
            throw new PlatformException($"smoke check GET {url} failed: {e.Message}");
        }
    }

    public static string FormatTraffic(IEnumerable<TrafficAssignment> traffic)
    {
        var text = string.Join(",", traffic.Where(t => t.Percent > 0).Select(t => $"{t.Revision}={t.Percent}"));
        return text.Length == 0 ? "none" : text;
    }

    private static string StepKind(Step step) => step.KindName;

    /// <summary>What earlier steps learned that later steps need.</summary>
    private sealed class ExecutionContext
    {
        private readonly Dictionary<string, string> _images = new(StringComparer.Ordinal);

        public string? NewRevision { get; set; }

        public string? ResolvedImage { get; set; }

        public string? ReceiptPath { get; set; }

        public Dictionary<string, string> Facts { get; } = new(StringComparer.Ordinal);

        /// <summary>The exact image for a plan image (cached: one plan deploys one image).</summary>
        public async Task<string> ImageAsync(IPlatform platform, TargetRef target, string image, CancellationToken ct)
        {
            if (image == ImageRefs.ServiceCurrent)
            {
                return ResolvedImage ?? throw new PlatformException("the service's current image was not resolved");
            }

            if (!_images.TryGetValue(image, out var resolved))
            {
                resolved = await platform.ResolveImageAsync(target, image, ct);
                _images[image] = resolved;
            }

            return resolved;
        }
    }
}
