using System.Collections.Concurrent;
using System.Net.Http.Headers;
using DeployMatrix.CloudRun.Api;
using DeployMatrix.CloudRun.Invoker;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun;

/// <summary>
/// The platform port on Cloud Run, through the Admin API v2: a deploy patches the service's template
/// (pinning traffic where it was for the seed's no-traffic production deploys), traffic is a patch of
/// revision targets, and the migration job is updated, run and read like <c>gcloud run jobs</c> does.
/// </summary>
public sealed class CloudRunPlatform(RunApi run, MonitoringApi monitoring, SecretManagerApi secrets, InvokerCredentials invoker, CloudRunPreflight preflight, TimeProvider time) : IPlatform
{
    /// <summary>The template annotation that carries the tag a revision was deployed with; Cloud Run keeps a template's annotations on its revisions.</summary>
    public const string TagAnnotation = "deploymatrix.dev/tag";

    private readonly ConcurrentDictionary<string, DateTimeOffset> _metricsOrigins = new(StringComparer.Ordinal);

    public PlatformKind Kind => PlatformKind.CloudRun;

    public IMaintenanceMode Maintenance => new Maintenance.CloudRunMaintenance(run, secrets);

    /// <summary>
    /// The image as written, once Artifact Registry has it (<see cref="CloudRunPreflight.RequireImageAsync"/>): a
    /// missing tag stops the plan before any write. An image hosted elsewhere is left to Cloud Run, which fails the
    /// deploy's operation when it cannot pull it.
    /// </summary>
    public async Task<string> ResolveImageAsync(ResolvedTarget target, string image, CancellationToken cancellationToken)
    {
        await preflight.RequireImageAsync(target, image, cancellationToken);
        return image;
    }

    public Task<IReadOnlyList<string>> MissingPermissionsAsync(ResolvedTarget target, IReadOnlyList<string> servicePermissions, string? job, IReadOnlyList<string> jobPermissions, CancellationToken cancellationToken) =>
        preflight.MissingPermissionsAsync(target, servicePermissions, job, jobPermissions, cancellationToken);

    public Task<IReadOnlyDictionary<string, Core.Preflight.EnvSource>> NewRevisionEnvAsync(ResolvedTarget target, CancellationToken cancellationToken) =>
        preflight.NewRevisionEnvAsync(target, cancellationToken);

    public string HowToSet(ResolvedTarget target, Requirement requirement) => CloudRunPreflight.HowToSet(target, requirement);

    public async Task<RevisionInfo> DeployRevisionAsync(ResolvedTarget target, string image, string? tag, bool noTraffic, string? trafficTag, CancellationToken cancellationToken)
    {
        var service = await RequireServiceAsync(target, cancellationToken);
        // The whole service goes back, as gcloud sends it: a patch replaces what it names, and the etag
        // makes Cloud Run refuse it if someone changed the service since it was read (then it is read
        // again, and the pin below is made from what serves then).
        RunService updated;
        var sent = service; // the read the last attempt was made from (a stale etag makes another)
        try
        {
            updated = await run.ChangeServiceAsync(service.Name!, current =>
            {
                sent = current;
                var template = current.Template ?? new RevisionTemplate();
                var containers = (template.Containers ?? [new RunContainer()]).ToList();
                containers[0] = containers[0] with { Image = image };
                // The new revision gets no traffic when asked (the seed's production rule): the split is
                // pinned to the revisions that serve now. Otherwise the latest revision takes all of it.
                // When nothing serves (no revision ever became ready), there is no split to keep: the new
                // revision is the only one that can serve, so it follows LATEST as Cloud Run requires.
                var pins = noTraffic ? Serving(current) : [];
                IReadOnlyList<TrafficTarget> split = pins.Count > 0
                    ? [.. pins.Select(t => new TrafficTarget { Type = TrafficTarget.ToRevision, Revision = t.Revision, Percent = t.Percent })]
                    : [new TrafficTarget { Type = TrafficTarget.ToLatest, Percent = 100 }];
                // A tagged deploy names its revision itself, as gcloud's --tag does (SERVICE-GENERATION-xyz),
                // so the tag can point at it in the same update; a tag of that name elsewhere moves to it.
                string? named = null;
                var others = current.Traffic;
                if (trafficTag is not null)
                {
                    named = RevisionName(target.Service, (current.Generation ?? 0) + 1);
                    split = [.. split, new TrafficTarget { Type = TrafficTarget.ToRevision, Revision = named, Percent = 0, Tag = trafficTag }];
                    others = others?.Where(t => t.Tag != trafficTag).ToList();
                }

                IReadOnlyList<TrafficTarget> traffic = KeepingTags(split, others);
                return current with
                {
                    Template = template with { Revision = named, Containers = containers, Annotations = WithTag(template.Annotations, tag) },
                    Traffic = traffic,
                };
            }, cancellationToken);
        }
        catch (PlatformException e)
        {
            if (await run.FailedRevisionAsync(sent, cancellationToken) is not { } failed)
            {
                throw;
            }

            // A revision that never became ready: Cloud Run kept routing as before; say why, in its words.
            throw new PlatformException($"revision {Short(failed.Name)} of {target.Service} did not become ready, so it takes no traffic: {FailedCondition(failed) ?? e.Message}");
        }

        var created = Short(updated.LatestCreatedRevision) ?? throw new PlatformException($"Cloud Run reported no new revision of {target.Service}");
        var revision = (await run.ListRevisionsAsync(updated.Name!, cancellationToken)).FirstOrDefault(r => Short(r.Name) == created);
        var ready = updated.LatestReadyRevision == updated.LatestCreatedRevision;
        var runs = revision?.Containers?.FirstOrDefault()?.Image ?? image;
        return new RevisionInfo(created, runs, ready ? "ready" : "failed", ready ? null : updated.TerminalCondition?.Message, tag) { Digest = ImageReference.Parse(runs).Digest };
    }

    internal static string? FailedCondition(RunRevision revision) =>
        revision.Conditions?.FirstOrDefault(c => c.Type == "Ready" && c.State != "CONDITION_SUCCEEDED")?.Message;

    /// <summary>
    /// What serves now, every entry naming its revision: a LATEST status (or a REVISION one without a
    /// name) has none, and means the latest ready revision (Run Admin API v2, TrafficTargetStatus); an
    /// empty list means all traffic to it (Service.traffic). A pin built from these never leaves a
    /// nameless entry that would hand the next revision all traffic.
    /// </summary>
    internal static IReadOnlyList<TrafficAssignment> Serving(RunService service)
    {
        var latest = Short(service.LatestReadyRevision);
        var statuses = service.TrafficStatuses is { Count: > 0 } listed
            ? listed
            : [new TrafficTargetStatus { Type = TrafficTarget.ToLatest, Percent = 100 }];
        // With no ready revision at all, a LATEST entry routes nowhere: nothing serves.
        return [.. statuses.Where(t => t.Percent > 0 && (t.Revision ?? latest) is not null)
            .Select(t => new TrafficAssignment((t.Revision ?? latest)!, t.Percent ?? 0))
            .GroupBy(t => t.Revision, StringComparer.Ordinal)
            .Select(g => new TrafficAssignment(g.Key, g.Sum(t => t.Percent)))];
    }

    public async Task<ServiceStatus> GetServiceAsync(ResolvedTarget target, CancellationToken cancellationToken)
    {
        var service = await RequireServiceAsync(target, cancellationToken);
        var revisions = await run.ListRevisionsAsync(service.Name!, cancellationToken);
        var traffic = Serving(service);
        return new ServiceStatus(
            target.Service,
            service.Template?.Containers?.FirstOrDefault()?.Image,
            [.. revisions.Select(r => new RevisionInfo(Short(r.Name)!, r.Containers?.FirstOrDefault()?.Image ?? "", Ready(r) ? "ready" : "not ready", Ready(r) ? null : FailedCondition(r), TagOf(r))
            {
                Digest = r.Containers?.FirstOrDefault()?.Image is { } image ? ImageReference.Parse(image).Digest : null,
                Percent = traffic.Where(t => t.Revision == Short(r.Name)).Sum(t => t.Percent),
                CreatedAt = r.CreateTime,
            })],
            traffic,
            Short(service.LatestCreatedRevision),
            Short(service.LatestReadyRevision),
            service.Uri is null ? null : new Uri(service.Uri))
        {
            Tags = [.. (service.TrafficStatuses ?? []).Where(t => !string.IsNullOrEmpty(t.Tag))
                .Select(t => new TrafficTag(t.Tag!, Short(t.Revision), t.Uri is null ? null : new Uri(t.Uri)))],
        };
    }

    public async Task SetTrafficAsync(ResolvedTarget target, IReadOnlyList<TrafficAssignment> splits, CancellationToken cancellationToken)
    {
        var service = await RequireServiceAsync(target, cancellationToken);
        await run.ChangeServiceAsync(service.Name!, current => current with
        {
            // A tag given with the split is kept even at 0% (the revision's own URL) and taken off any entry that had it.
            Traffic = KeepingTags(
                [.. splits.Where(s => s.Percent > 0 || s.Tag is not null).Select(s => new TrafficTarget { Type = TrafficTarget.ToRevision, Revision = s.Revision, Percent = s.Percent, Tag = s.Tag })],
                current.Traffic?.Where(t => string.IsNullOrEmpty(t.Tag) || !splits.Any(s => s.Tag == t.Tag)).ToList()),
        }, cancellationToken);
    }

    /// <summary>
    /// The new split with every traffic tag the service had kept: a tag gives its revision (or LATEST) a
    /// URL of its own (Run Admin API v2, TrafficTarget.tag) that a team may use for previews or QA, and a
    /// traffic list sent without it removes it. A tagged revision in the split carries its tag there;
    /// one outside it stays as a 0% entry with the tag.
    /// </summary>
    internal static IReadOnlyList<TrafficTarget> KeepingTags(IReadOnlyList<TrafficTarget> split, IReadOnlyList<TrafficTarget>? current)
    {
        var result = split.ToList();
        foreach (var tagged in (current ?? []).Where(t => !string.IsNullOrEmpty(t.Tag)))
        {
            var latest = tagged.Type == TrafficTarget.ToLatest || tagged.Revision is null;
            var same = result.FindIndex(t => t.Tag is null && (latest
                ? t.Type == TrafficTarget.ToLatest
                : t.Type != TrafficTarget.ToLatest && string.Equals(Short(t.Revision), Short(tagged.Revision), StringComparison.Ordinal)));
            if (same >= 0)
            {
                result[same] = result[same] with { Tag = tagged.Tag };
            }
            else
            {
                result.Add(new TrafficTarget { Type = latest ? TrafficTarget.ToLatest : TrafficTarget.ToRevision, Revision = latest ? null : tagged.Revision, Percent = 0, Tag = tagged.Tag });
            }
        }

        return result;
    }

    public Task UpdateJobImageAsync(ResolvedTarget target, string job, string image, string? entrypoint, IReadOnlyList<string> args, CancellationToken cancellationToken) =>
        run.UpdateJobImageAsync(RunApi.JobName(target.Project!, target.Region!, job), image, entrypoint is null ? null : [entrypoint], args.Count == 0 ? null : args, cancellationToken);

    public async Task<string?> GetJobImageAsync(ResolvedTarget target, string job, CancellationToken cancellationToken) =>
        (await run.GetJobAsync(RunApi.JobName(target.Project!, target.Region!, job), cancellationToken)).Template?.Template?.Containers?.FirstOrDefault()?.Image;

    /// <summary>Runs the job with the command its container defines on Cloud Run (the local platform's migrate command is for local artifacts).</summary>
    /// <remarks>
    /// One execution at a time: while the job's latest execution has no <c>completionTime</c> (Run Admin
    /// API v2, <c>Job.latestCreatedExecution</c>), this polls every 2 s up to <see cref="JobRun.Wait"/>, then fails naming it.
    /// Cancelled, it cancels the execution it started (or awaits it, <see cref="JobRun.WaitOnCancel"/>), then throws
    /// <see cref="ExecutionCancelledException"/>.
    /// </remarks>
    public async Task<JobExecution> ExecuteJobAsync(ResolvedTarget target, string job, IReadOnlyList<string> command, JobRun jobRun, CancellationToken cancellationToken)
    {
        var name = RunApi.JobName(target.Project!, target.Region!, job);
        var deadline = time.GetUtcNow() + jobRun.Wait;
        while ((await run.GetJobAsync(name, cancellationToken)).LatestCreatedExecution is { CompletionTime: null, Name: { } running } latest)
        {
            if (time.GetUtcNow() >= deadline)
            {
                var waited = jobRun.Wait > TimeSpan.Zero ? $"waited {jobRun.Wait.TotalSeconds:0} s (--lock-wait)" : "wait for it with --lock-wait SECONDS";
                throw new PlatformException($"execution {Short(running)} of job {job} is running since {latest.CreateTime}; one execution of a job runs at a time — {waited}");
            }

            await Task.Delay(TimeSpan.FromSeconds(2), time, cancellationToken);
        }

        return Execution(await run.RunJobAsync(name, cancellationToken, jobRun.WaitOnCancel));
    }

    public async Task<JobExecution?> GetLatestExecutionAsync(ResolvedTarget target, string job, CancellationToken cancellationToken)
    {
        var latest = (await run.GetJobAsync(RunApi.JobName(target.Project!, target.Region!, job), cancellationToken)).LatestCreatedExecution?.Name;
        return latest is null ? null : Execution(await run.GetExecutionAsync(latest, cancellationToken));
    }

    /// <summary>The service's URL, or a revision's own: the URL of a traffic tag on it (Run Admin API v2, <c>TrafficTargetStatus.uri</c>), the release's tag first.</summary>
    public async Task<Uri> UrlAsync(ResolvedTarget target, string? revision, CancellationToken cancellationToken)
    {
        var service = await RequireServiceAsync(target, cancellationToken);
        if (revision is null)
        {
            return service.Uri is { } uri ? new Uri(uri) : throw new PlatformException($"{target.Service} has no URL yet");
        }

        var tagged = (service.TrafficStatuses ?? [])
            .Where(t => !string.IsNullOrEmpty(t.Tag) && !string.IsNullOrEmpty(t.Uri) && Short(t.Revision) == revision)
            .OrderBy(t => Core.Planning.TrafficTags.IsOurs(t.Tag!) ? 0 : 1)
            .FirstOrDefault();
        return tagged is not null
            ? new Uri(tagged.Uri!)
            : throw new PlatformException($"revision {revision} of {target.Service} has no traffic tag, so no URL of its own to check it on before it takes traffic; give it one with: gcloud run services update-traffic {target.Service} --project {target.Project} --region {target.Region} --update-tags {Core.Planning.TrafficTags.Prefix}check={revision}");
    }

    public async Task RemoveTrafficTagsAsync(ResolvedTarget target, IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        var service = await RequireServiceAsync(target, cancellationToken);
        // A removed tag's entry goes with it when it carried no traffic; an entry with a share stays, untagged.
        await run.ChangeServiceAsync(service.Name!, current => current with
        {
            Traffic = [.. (current.Traffic ?? [])
                .Where(t => !(t.Tag is { } tag && tags.Contains(tag) && (t.Percent ?? 0) == 0))
                .Select(t => t.Tag is { } tag && tags.Contains(tag) ? t with { Tag = null } : t)],
        }, cancellationToken);
    }

    /// <summary>A revision name as gcloud makes one for a tagged deploy: the service, the next generation in five digits, three random letters.</summary>
    internal static string RevisionName(string service, long generation) =>
        $"{service}-{generation:00000}-{new string([.. Enumerable.Range(0, 3).Select(_ => (char)('a' + System.Security.Cryptography.RandomNumberGenerator.GetInt32(26)))])}";

    /// <summary>A Google-signed ID token for the service when it requires authentication (see <see cref="InvokerCredentials"/>), else null.</summary>
    public async Task<AuthenticationHeaderValue?> InvokerCredentialsAsync(ResolvedTarget target, Uri url, CancellationToken cancellationToken) =>
        await invoker.ForAsync(await RequireServiceAsync(target, cancellationToken), url, cancellationToken);

    /// <summary>Cloud Logging's <c>entries.list</c>; null (a platform made without it) skips log probes saying so.</summary>
    public LoggingApi? Logging { get; init; }

    /// <summary>
    /// Where requests for a domain go instead of <c>https://DOMAIN/</c>: loopback listeners standing in for DNS in
    /// tests (<see cref="CloudRunConnection.DomainEndpointsVariable"/>); empty in production.
    /// </summary>
    public IReadOnlyDictionary<string, Uri> DomainEndpoints { get; init; } = new Dictionary<string, Uri>(StringComparer.OrdinalIgnoreCase);

    public async Task<DomainMapping> GetDomainMappingAsync(ResolvedTarget target, CancellationToken cancellationToken)
    {
        var domain = target.Domain ?? throw new InvalidOperationException($"{target} names no domain");
        var mapping = await run.GetDomainMappingAsync(target.Project!, target.Region!, domain, cancellationToken);
        (string, string?)? Condition(string type) =>
            mapping?.Status?.Conditions?.FirstOrDefault(c => c.Type == type) is { } c ? (c.Status ?? "Unknown", c.Message) : null;
        return new DomainMapping(domain, true, mapping is not null, mapping?.Spec?.RouteName, target.Service, Condition("Ready"), Condition("CertificateProvisioned"),
            DomainEndpoints.GetValueOrDefault(domain) ?? new Uri($"https://{domain}/"));
    }

    /// <summary>Cloud Logging: the service's entries in its region (<see cref="LoggingApi.Filter"/>), oldest first.</summary>
    public async Task<LogReadout> ReadLogsAsync(ResolvedTarget target, LogQuery query, CancellationToken cancellationToken)
    {
        var logging = Logging ?? throw new PlatformException("this Cloud Run platform was made without Cloud Logging");
        var filter = LoggingApi.Filter(target.Region!, target.Service, LogSeverities.Name(query.Severity), query.Since);
        var (count, first, capped) = await logging.CountAsync(target.Project!, filter, query.Keep, cancellationToken);
        return new LogReadout(count, [.. first.Select(Entry)], $"Cloud Logging entries.list in projects/{target.Project} ({filter}){(capped ? $"; stopped after {logging.MaxPages} pages, so at least" : "")}");
    }

    /// <summary>An entry as a check shows it: its text payload, else its JSON payload's <c>message</c>, else the payload as JSON.</summary>
    private static LogEntry Entry(LoggingEntry entry)
    {
        var text = entry.TextPayload
            ?? (entry.JsonPayload is { ValueKind: System.Text.Json.JsonValueKind.Object } json && json.TryGetProperty("message", out var message) && message.ValueKind == System.Text.Json.JsonValueKind.String
                ? message.GetString()
                : (entry.JsonPayload ?? entry.ProtoPayload)?.GetRawText())
            ?? "";
        var severity = entry.Severity is { } name && LogSeverities.Parse(name) is { } parsed ? parsed : LogSeverity.Default;
        return new LogEntry(entry.Timestamp ?? DateTimeOffset.MinValue, severity, entry.Resource?.Labels?.GetValueOrDefault("revision_name"), text);
    }

    public MetricsCadence MetricsCadence => MetricsCadence.CloudMonitoring;

    /// <summary>
    /// Counters per revision from Cloud Monitoring, summed over whole 60 s periods from the first instant
    /// this platform was asked for (per service) to <paramref name="until"/>, so two reads differ by the
    /// periods between them (what the canary analysis takes). Both ends are period boundaries, so every
    /// sample lies wholly inside or outside the sum and a later read never counts less.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, RevisionSample>> GetRevisionMetricsAsync(ResolvedTarget target, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var key = $"{target.Project}/{target.Region}/{target.Service}";
        var cadence = MetricsCadence;
        until = cadence.PeriodEndBefore(until);
        var origin = _metricsOrigins.GetOrAdd(key, until);
        return until <= origin
            ? new Dictionary<string, RevisionSample>(StringComparer.Ordinal)
            : await monitoring.RevisionSamplesAsync(target.Project!, target.Region!, target.Service, origin, until, cancellationToken);
    }

    private Task<RunService> RequireServiceAsync(ResolvedTarget target, CancellationToken cancellationToken) =>
        run.RequireServiceAsync(target.Project!, target.Region!, target.Service, cancellationToken);

    /// <summary>An execution, with where its logs are: the console link Cloud Run gives, and the Cloud Logging query to read them in a terminal.</summary>
    private static JobExecution Execution(RunExecution execution)
    {
        var name = Short(execution.Name)!;
        var project = execution.Name?.Split('/') is { Length: > 1 } parts ? parts[1] : null;
        var query = $"gcloud logging read 'resource.type=\"cloud_run_job\" AND labels.\"run.googleapis.com/execution_name\"=\"{name}\"' --project {project} --limit 100";
        return new JobExecution(
            name,
            execution.Template?.Containers?.FirstOrDefault()?.Image ?? "",
            Succeeded(execution),
            null,
            execution.LogUri is { } uri ? $"{uri} (or: {query})" : query) { Tasks = Tasks(execution) };
    }

    /// <summary>
    /// An execution succeeded when it completed and every one of its tasks succeeded: a task cancelled
    /// or failed (after its retries) leaves the migration incomplete, whatever the others did.
    /// </summary>
    internal static bool Succeeded(RunExecution execution) =>
        execution.CompletionTime is not null && (execution.SucceededCount ?? 0) == (execution.TaskCount ?? 1)
        && execution.FailedCount is null or 0 && execution.CancelledCount is null or 0;

    private static string Tasks(RunExecution execution)
    {
        var ended = new[] { ("failed", execution.FailedCount), ("cancelled", execution.CancelledCount), ("running", execution.RunningCount), ("retried", execution.RetriedCount) }
            .Where(c => c.Item2 > 0).Select(c => $"{c.Item2} {c.Item1}");
        return string.Join(", ", [$"{execution.SucceededCount ?? 0} of {execution.TaskCount ?? 1} tasks succeeded", .. ended]);
    }

    private static bool Ready(RunRevision revision) =>
        revision.Conditions?.Any(c => c.Type == "Ready" && c.State == "CONDITION_SUCCEEDED") == true;

    private static string? Short(string? name) => name?.Split('/')[^1];

    /// <summary>The template annotations with the tag a new revision is deployed with (an untagged deploy drops an old tag).</summary>
    internal static IReadOnlyDictionary<string, string>? WithTag(IReadOnlyDictionary<string, string>? annotations, string? tag)
    {
        var result = new Dictionary<string, string>(annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        result.Remove(TagAnnotation);
        if (tag is not null)
        {
            result[TagAnnotation] = tag;
        }

        return result.Count == 0 ? null : result;
    }

    /// <summary>
    /// The tag a revision was deployed with: the annotation DeployMatrix wrote. A revision deployed by
    /// other means (gcloud, the console) has none; its image's tag is the best there is.
    /// </summary>
    internal static string? TagOf(RunRevision revision) =>
        revision.Annotations?.GetValueOrDefault(TagAnnotation)
        ?? (revision.Containers?.FirstOrDefault()?.Image is { } image && ImageReference.Parse(image) is { Digest: null, Tag: { } tag } ? tag : null);

}
