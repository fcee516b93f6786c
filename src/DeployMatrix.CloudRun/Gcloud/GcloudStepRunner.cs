using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Drift;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.CloudRun.Gcloud;

/// <summary>
/// Runs a Cloud Run plan by invoking gcloud, as the seed's scripts did: each step runs exactly the
/// argument arrays of <see cref="GcloudCommands"/> (what <c>plan --format shell</c> prints), and its
/// output is read the way the scripts read it — images compared, the drift check's six conditions
/// judged on the three reads. Every command run is journaled in the step's detail. It also moves a
/// rollout's traffic (<see cref="ITrafficWriter"/>), with the command the rollout's plan prints.
/// </summary>
/// <param name="run">Runs one gcloud command (its lines may be shown as they come).</param>
/// <param name="runQuiet">Runs a command whose output is a secret and is never shown (an identity token); default <paramref name="run"/>.</param>
public sealed partial class GcloudStepRunner(
    Func<IReadOnlyList<string>, CancellationToken, Task<ProcessResult>> run,
    Func<IReadOnlyList<string>, CancellationToken, Task<ProcessResult>>? runQuiet = null) : IStepRunner, ITrafficWriter
{
    /// <summary>
    /// What mints an identity token from gcloud's own login, for a private service's smoke check — Google's
    /// documented way for a developer to call a private Cloud Run service ("Authenticating developers":
    /// <c>curl -H "Authorization: Bearer $(gcloud auth print-identity-token)" URL</c>); the caller needs
    /// <c>roles/run.invoker</c>.
    /// </summary>
    public static readonly IReadOnlyList<string> PrintIdentityToken = ["gcloud", "auth", "print-identity-token"];

    private AuthenticationHeaderValue? _identity;

    public async Task<string?> RunAsync(Step step, StepContext context, CancellationToken ct)
    {
        switch (step)
        {
            case CheckImage or CheckService or CheckPermissions or CheckRequirements:
                return await PreflightAsync(step, context, ct);

            case BuildImage:
            {
                // gcloud prints "Logs are available at [URL]." while it streams the build.
                var result = (await RunAllAsync(step, context, ct))[0];
                return LogsAt().Match(result.Stdout + result.Stderr) is { Success: true } logs
                    ? $"{Commands(step, context)} → logs: {logs.Groups[1].Value}"
                    : Commands(step, context);
            }

            case UpdateJobImage update:
                await RunAllAsync(step, context, ct);
                context.Facts["migrate_job"] = update.Job;
                return Commands(step, context);

            case DeployRevision deploy:
            {
                var result = await RunAllAsync(step, context, ct);
                // gcloud says "Service [S] revision [S-00042-abc] has been deployed …" on stderr.
                context.NewRevision = DeployedRevision().Match(result[0].Stderr + result[0].Stdout) is { Success: true } m ? m.Groups[1].Value : null;
                context.Facts["image"] = Image(deploy.Image, context);
                if (context.NewRevision is { } revision)
                {
                    context.Facts["revision"] = revision;
                }

                if (!deploy.NoTraffic && ServingPercent().Match(result[0].Stderr + result[0].Stdout) is { Success: true } serving)
                {
                    RequireAllTraffic(context, int.Parse(serving.Groups[1].Value, CultureInfo.InvariantCulture));
                }

                return $"{Commands(step, context)} → revision {context.NewRevision ?? "(not named in gcloud's output)"}";
            }

            case VerifyServiceImage or VerifyJobImage:
            {
                var expected = Image(step is VerifyServiceImage v ? v.Image : ((VerifyJobImage)step).Image, context);
                var actual = (await RunAllAsync(step, context, ct))[0].Stdout.Trim();
                if (step is VerifyServiceImage)
                {
                    context.Facts["deployed_image"] = actual;
                }

                return actual == expected
                    ? $"{Commands(step, context)} → {actual}"
                    : throw new PlatformException($"{Commands(step, context)} printed {(actual.Length == 0 ? "nothing" : actual)}, not the requested {expected}");
            }

            case ResolveServiceImage:
            {
                var image = (await RunAllAsync(step, context, ct))[0].Stdout.Trim();
                context.ResolvedImage = image.Length > 0 ? image : throw new PlatformException($"{Commands(step, context)} printed no image; deploy the service first");
                return $"{Commands(step, context)} → {image}";
            }

            case ExecuteJob execute:
                return await ExecuteJobAsync(execute, context, ct);

            case CheckDrift drift:
            {
                var results = await RunAllAsync(step, context, ct, allowFailure: true);
                var report = DriftCheck.Evaluate(
                    Image(drift.Image, context),
                    Text(results[0]),
                    Text(results[1]),
                    LatestExecution(results[2]));
                context.Facts["drift"] = report.Ok ? "none" : report.Problem!;
                return report.Ok ? "service, job and latest execution run the same image" : throw new PlatformException($"drift: {report.Problem}");
            }

            case SetTraffic traffic:
            {
                var resolved = traffic with { Splits = [.. await ResolveAsync(traffic, context, ct)] };
                await RunCommandAsync(GcloudCommands.For(resolved)[0], ct);
                var after = string.Join(",", resolved.Splits.Where(s => s.Percent > 0).Select(s => $"{(s.Revision.Role == RevisionRole.New ? context.NewRevision ?? s.Revision.Tag : s.Revision.ToString())}={s.Percent}"));
                context.Facts["traffic_after"] = after;
                return after;
            }

            case DescribeStatus:
                return (await RunAllAsync(step, context, ct))[0].Stdout.TrimEnd();

            case RemoveTrafficTags tidy:
                return await RemoveTagsAsync(tidy, context, ct);

            case RunSmokeCheck smoke:
                return await SmokeAsync(smoke, context, ct);

            default:
                throw new PlatformException($"the gcloud executor cannot run '{step.KindName}' steps", 2);
        }
    }

    /// <summary>
    /// A rollout's traffic move as <c>plan --action rollout --format shell</c> prints it, STABLE and CANARY named:
    /// <c>gcloud run services update-traffic SERVICE --project P --region R --to-revisions STABLE=95,CANARY=5</c>
    /// (a 0% entry kept, as the plan's 0% stage says <c>CANARY=0</c>). The assignments sum to 100, so gcloud sets
    /// exactly them and keeps every tag ("gcloud run services update-traffic", Google Cloud SDK reference). An
    /// assignment with a tag adds <c>--update-tags TAG=REVISION</c>, which gcloud applies in the same update.
    /// </summary>
    /// <returns>The command line run, for the rollout's journal.</returns>
    /// <exception cref="PlatformException">gcloud exited non-zero (its last error line in the message).</exception>
    public async Task<string?> SetTrafficAsync(ResolvedTarget target, IReadOnlyList<TrafficAssignment> split, CancellationToken cancellationToken)
    {
        var step = new SetTraffic(target.Ref, [.. split.Select(s => new TrafficSplit(RevisionRef.Named(s.Revision), s.Percent))]);
        var command = GcloudCommands.Tagging(GcloudCommands.For(step)[0], [.. split.Where(s => s.Tag is not null).Select(s => (s.Tag!, s.Revision))]);
        await RunCommandAsync(command, cancellationToken);
        return ShellRenderer.Join(command);
    }

    private async Task<List<ProcessResult>> RunAllAsync(Step step, StepContext context, CancellationToken ct, bool allowFailure = false)
    {
        var results = new List<ProcessResult>();
        foreach (var command in GcloudCommands.For(step))
        {
            results.Add(await RunCommandAsync(Substituted(command, context), ct, allowFailure));
        }

        return results;
    }

    private async Task<ProcessResult> RunCommandAsync(IReadOnlyList<string> command, CancellationToken ct, bool allowFailure = false)
    {
        var result = await run(command, ct);
        return result.ExitCode == 0 || allowFailure
            ? result
            : throw new PlatformException($"{ShellRenderer.Join(command)} exited {result.ExitCode}: {result.LastError}");
    }

    /// <summary>
    /// STABLE and CANARY named from one read of the service; LATEST is gcloud's own word. STABLE is the
    /// engine's stable revision (<see cref="StableRevision"/>): the recorded one, else the one with most traffic.
    /// </summary>
    private async Task<List<TrafficSplit>> ResolveAsync(SetTraffic step, StepContext context, CancellationToken ct)
    {
        JsonElement? status = null;
        if (GcloudCommands.Resolve(step) is { } describe)
        {
            using var document = JsonDocument.Parse((await RunCommandAsync(describe, ct)).Stdout);
            status = document.RootElement.GetProperty("status").Clone();
            if (context.BeginsAChange)
            {
                context.ChangeBegins(Traffic(status.Value));
            }
        }

        return [.. step.Splits.Select(split => split with
        {
            Revision = split.Revision.Role switch
            {
                // Moved by its tag (--to-tags), which gcloud resolves itself.
                RevisionRole.New when split.Revision.Tag is not null => split.Revision,
                RevisionRole.New => RevisionRef.Named(context.NewRevision ?? throw new PlatformException("no revision was deployed by this plan")),
                RevisionRole.Canary => RevisionRef.Named(LatestReady(status!.Value)),
                RevisionRole.Stable => RevisionRef.Named(context.RollbackTarget(Traffic(status!.Value), [])),
                _ => split.Revision,
            },
        })];
    }

    private static string LatestReady(JsonElement status) =>
        status.TryGetProperty("latestReadyRevisionName", out var name) && name.GetString() is { Length: > 0 } latest
            ? latest
            : throw new PlatformException("the service has no ready revision; deploy it first");

    /// <summary>The split in gcloud's (v1) service status: LATEST entries named by the latest ready revision.</summary>
    private static List<TrafficAssignment> Traffic(JsonElement status) => status.TryGetProperty("traffic", out var traffic)
        ? [.. traffic.EnumerateArray()
            .Select(t => new TrafficAssignment(
                t.TryGetProperty("latestRevision", out var l) && l.GetBoolean() ? LatestReady(status) : t.GetProperty("revisionName").GetString()!,
                t.TryGetProperty("percent", out var p) ? p.GetInt32() : 0))
            .Where(t => t.Percent > 0)]
        : [];

    /// <summary>The newest execution from <c>gcloud run jobs executions list --limit 1 --format json</c> (Cloud Run's v1 Execution).</summary>
    private static JobExecution? LatestExecution(ProcessResult listed)
    {
        if (listed.ExitCode != 0)
        {
            return null;
        }

        using var document = JsonDocument.Parse(listed.Stdout.Length == 0 ? "[]" : listed.Stdout);
        if (document.RootElement.GetArrayLength() == 0)
        {
            return null;
        }

        var execution = document.RootElement[0];
        var image = execution.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0].GetProperty("image").GetString()!;
        var status = execution.TryGetProperty("status", out var s) ? s : default;
        // Every task must have succeeded (Cloud Run's v1 Execution: spec.taskCount, status.*Count); a cancelled or failed one fails it.
        var tasks = execution.TryGetProperty("spec", out var spec) && spec.TryGetProperty("taskCount", out var taskCount) ? taskCount.GetInt32() : 1;
        int Count(string field) => status.ValueKind == JsonValueKind.Object && status.TryGetProperty(field, out var count) ? count.GetInt32() : 0;
        var succeeded = Count("succeededCount") == tasks && Count("failedCount") == 0 && Count("cancelledCount") == 0;
        return new JobExecution(execution.GetProperty("metadata").GetProperty("name").GetString()!, image, succeeded, succeeded ? 0 : null, null);
    }

    /// <summary>
    /// The release's tag URL (or the service's) as gcloud describes it (read once per plan), then the check's
    /// request made natively (the seed used curl).
    /// </summary>
    private async Task<string> SmokeAsync(RunSmokeCheck smoke, StepContext context, CancellationToken ct)
    {
        var key = $"{smoke.Target.Service}#{smoke.TrafficTag}";
        if (!context.ServiceUrls.TryGetValue(key, out var url))
        {
            url = (await RunAllAsync(smoke, context, ct))[0].Stdout.Trim();
            context.ServiceUrls[key] = url;
        }

        if (url.Length == 0 && smoke.TrafficTag is { } tag)
        {
            throw new PlatformException($"{Commands(smoke, context)} printed no URL: the service has no traffic tag {tag}, so the new revision cannot be checked before it takes traffic");
        }

        if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var root))
        {
            throw new PlatformException($"{Commands(smoke, context)} printed no URL ('{url}')");
        }

        var detail = await SmokeProbe.GetAsync(new Uri(root, smoke.Path.TrimStart('/')), smoke.Expect, smoke.Contains, authorization: null, http2: false, IdentityAsync, context.RecordSmoke, ct);
        if (smoke.Domain is not { } domain)
        {
            return detail;
        }

        // gcloud prints the service's URL; this executor reads no domain mapping, so it checks that URL and says so.
        const string Why = "the gcloud executor does not read domain mappings";
        context.Facts["domain"] = domain;
        context.Facts["domain_status"] = $"not read: {Why}";
        context.Facts["smoke_via"] = "service URL";
        return $"{detail} via the service URL ({Why}; --executor api reads it)";
    }

    /// <summary>
    /// The caller's identity token from gcloud, minted once per command and asked for only when a service refused a
    /// request without one. Its output is never shown or journaled; a failure names the fix.
    /// </summary>
    private async Task<AuthenticationHeaderValue?> IdentityAsync(CancellationToken ct)
    {
        if (_identity is null)
        {
            var result = await (runQuiet ?? run)(PrintIdentityToken, ct);
            var token = result.Stdout.Trim();
            if (result.ExitCode != 0 || token.Length == 0 || token.Any(char.IsWhiteSpace))
            {
                throw new PlatformException($"the service refused the smoke check without credentials, and '{ShellRenderer.Join(PrintIdentityToken)}' gave no identity token"
                    + $"{(result.ExitCode != 0 ? $" (exit {result.ExitCode}: {result.LastError})" : "")}; log gcloud in with an account that holds roles/run.invoker on the service (gcloud auth login, or gcloud auth activate-service-account)");
            }

            _identity = new AuthenticationHeaderValue("Bearer", token);
        }

        return _identity;
    }

    /// <summary>The release tags beyond the newest releases (<see cref="ReleaseTagTidy"/>), read from the service's v1 status, then removed in one update.</summary>
    private async Task<string> RemoveTagsAsync(RemoveTrafficTags tidy, StepContext context, CancellationToken ct)
    {
        var describe = GcloudCommands.Resolve(tidy);
        using var document = JsonDocument.Parse((await RunCommandAsync(describe, ct)).Stdout);
        var status = document.RootElement.GetProperty("status");
        var entries = status.TryGetProperty("traffic", out var traffic) ? traffic.EnumerateArray().ToList() : [];
        string? Revision(JsonElement t) => t.TryGetProperty("revisionName", out var r) ? r.GetString() : null;
        var tags = entries.Where(t => t.TryGetProperty("tag", out _))
            .Select(t => new TrafficTag(t.GetProperty("tag").GetString()!, Revision(t), null)).ToList();
        // gcloud's v1 status lists no revisions; their names carry the generation that made them (SERVICE-00042-xyz).
        var newestFirst = entries.Select(Revision).OfType<string>().Distinct(StringComparer.Ordinal)
            .OrderByDescending(Generation).ToList();
        var remove = ReleaseTagTidy.ToRemove(tags, newestFirst, [.. Traffic(status).Select(t => t.Revision)], tidy.Keep);
        if (remove.Count == 0)
        {
            return $"{ShellRenderer.Join(describe)} → no release tags beyond the newest {tidy.Keep} releases";
        }

        var command = GcloudCommands.For(tidy)[0].Select(w => w == GcloudCommands.OldTags ? string.Join(',', remove) : w).ToList();
        await RunCommandAsync(command, ct);
        context.Facts["tags_removed"] = string.Join(",", remove);
        return $"{ShellRenderer.Join(command)} → removed {string.Join(", ", remove)}";
    }

    private static long Generation(string revision) =>
        revision.Split('-') is { Length: >= 3 } parts && long.TryParse(parts[^2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1;

    private static string? Text(ProcessResult result) => result.ExitCode == 0 && result.Stdout.Trim() is { Length: > 0 } text ? text : null;

    private static string Image(string image, StepContext context) =>
        image == ImageRefs.ServiceCurrent ? context.ResolvedImage ?? throw new PlatformException("the service's current image was not resolved") : image;

    private static IReadOnlyList<string> Substituted(IReadOnlyList<string> command, StepContext context) =>
        [.. command.Select(w => w == ImageRefs.ServiceCurrent ? Image(w, context) : w)];

    private static string Commands(Step step, StepContext context) =>
        string.Join(" && ", GcloudCommands.For(step).Select(c => ShellRenderer.Join(Substituted(c, context))));

    /// <summary>
    /// A direct deploy (<c>traffic: direct</c>) must serve all traffic before its migration runs. gcloud's deploy moves
    /// only what LATEST serves: a split a rollback, rollout or traffic command pinned to named revisions stays pinned
    /// ("Lifecycle of traffic splits", Cloud Run docs), and gcloud reports the revision "serving 0 percent of traffic".
    /// Then nothing else runs (the revision serves nothing, its migration has not run) and the error names the ways on.
    /// </summary>
    /// <exception cref="PlatformException">The revision serves less than 100% (exit 1).</exception>
    private static void RequireAllTraffic(StepContext context, int percent)
    {
        var revision = context.NewRevision ?? "the new revision";
        if (percent == 100)
        {
            context.Facts["traffic_after"] = $"{revision}=100";
            return;
        }

        var where = $"{context.Plan.Lane} {context.Target.Args}";
        throw new PlatformException(
            $"{revision} serves {percent}% of traffic, not all of it: the split is pinned to named revisions (by a rollback, rollout or traffic command) and gcloud run deploy keeps such a pin; "
            + $"its migration has not run and the split is as it was. Deploy again without --executor gcloud (its update gives the latest revision all traffic), or take the checked path: deploy {where} --no-traffic, then rollout {where}");
    }

    [GeneratedRegex(@"is serving (\d+) percent of traffic")]
    private static partial Regex ServingPercent();

    [GeneratedRegex(@"revision \[([^\]]+)\]")]
    private static partial Regex DeployedRevision();

    [GeneratedRegex(@"Logs are available at \[([^\]]+)\]")]
    private static partial Regex LogsAt();

    [GeneratedRegex(@"Execution \[([^\]]+)\]")]
    private static partial Regex ExecutionName();
}
