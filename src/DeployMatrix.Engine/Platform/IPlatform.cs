using System.Net.Http.Headers;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Engine.Platform;

/// <summary>
/// What a platform must do for plans to run on it. The local platform and Cloud Run implement the same
/// port, so one executor and one step list serve both. Every call takes the resolved target: a platform
/// never reads the matrix.
/// </summary>
public interface IPlatform
{
    PlatformKind Kind { get; }

    /// <summary>Maintenance mode as this platform keeps it (the local proxy, or the service itself on Cloud Run).</summary>
    IMaintenanceMode Maintenance { get; }

    /// <summary>Turns the plan's image (a template filled with the tag) into the exact image to deploy, or fails when it does not exist.</summary>
    Task<string> ResolveImageAsync(ResolvedTarget target, string image, CancellationToken cancellationToken);

    /// <summary>
    /// Creates a revision that runs <paramref name="image"/> and records <paramref name="tag"/> as the tag
    /// it was deployed with (status and receipts read it back; nothing guesses a tag from an image). With
    /// <paramref name="noTraffic"/> traffic is untouched (except for a service nothing serves yet, whose
    /// first revision must take it). <paramref name="trafficTag"/> gives the revision a URL of its own
    /// (<see cref="UrlAsync"/>) from the moment it exists; every other tag the service has is kept.
    /// </summary>
    Task<RevisionInfo> DeployRevisionAsync(ResolvedTarget target, string image, string? tag, bool noTraffic, string? trafficTag, CancellationToken cancellationToken);

    /// <summary>
    /// Which of these permissions the caller lacks: <paramref name="servicePermissions"/> on the target's service and
    /// <paramref name="jobPermissions"/> on <paramref name="job"/> (null: none). On Cloud Run asked of IAM
    /// (<c>services:testIamPermissions</c>, <c>jobs:testIamPermissions</c>, Run Admin API v2); the local platform's
    /// agent acts for whoever holds its token, so there it is always empty.
    /// </summary>
    /// <returns>The missing permissions, each as <c>run.services.update</c> or <c>run.jobs.run on JOB</c>; empty when all are held.</returns>
    /// <exception cref="PlatformException">The service or job does not exist, or IAM cannot be asked.</exception>
    Task<IReadOnlyList<string>> MissingPermissionsAsync(ResolvedTarget target, IReadOnlyList<string> servicePermissions, string? job, IReadOnlyList<string> jobPermissions, CancellationToken cancellationToken);

    /// <summary>
    /// The environment a new revision of the target will start with, by variable name: on Cloud Run the service
    /// template's first container's <c>env</c> (a deploy changes only the image, so the template's variables and
    /// secret references are what the revision gets), on the local platform the matrix's <c>env</c>.
    /// The values are for judging <c>requires</c> conditions and are never printed.
    /// </summary>
    Task<IReadOnlyDictionary<string, Core.Preflight.EnvSource>> NewRevisionEnvAsync(ResolvedTarget target, CancellationToken cancellationToken);

    /// <summary>How a missing variable of <paramref name="target"/> is set on this platform (one clause, for a preflight failure's message).</summary>
    string HowToSet(ResolvedTarget target, Requirement requirement);

    /// <summary>What runs now: revisions (newest first), traffic, latest created and latest ready revision, URL.</summary>
    Task<ServiceStatus> GetServiceAsync(ResolvedTarget target, CancellationToken cancellationToken);

    /// <summary>Sets the whole split at once (integer percents that sum to 100); every traffic tag stays where it is.</summary>
    Task SetTrafficAsync(ResolvedTarget target, IReadOnlyList<TrafficAssignment> splits, CancellationToken cancellationToken);

    /// <summary>Removes these traffic tags (their URLs stop answering); the split and every other tag stay.</summary>
    Task RemoveTrafficTagsAsync(ResolvedTarget target, IReadOnlyList<string> tags, CancellationToken cancellationToken);

    /// <summary>
    /// Points the job at <paramref name="image"/>; on Cloud Run also sets its container's command
    /// (<paramref name="entrypoint"/>, null keeps it) and arguments (<paramref name="args"/>, empty keeps them).
    /// The local platform runs the artifact with the arguments <see cref="ExecuteJobAsync"/> gets.
    /// </summary>
    Task UpdateJobImageAsync(ResolvedTarget target, string job, string image, string? entrypoint, IReadOnlyList<string> args, CancellationToken cancellationToken);

    Task<string?> GetJobImageAsync(ResolvedTarget target, string job, CancellationToken cancellationToken);

    /// <summary>
    /// Runs the job once with its current image and waits for it to finish. One execution of a job runs
    /// at a time: while another runs, this waits up to <see cref="JobRun.Wait"/>, then fails naming it.
    /// Cancelled, it stops the execution (which ends cancelled) and throws <see cref="OperationCanceledException"/>
    /// once it has ended — or, with <see cref="JobRun.WaitOnCancel"/>, lets it finish first.
    /// </summary>
    /// <exception cref="PlatformException">Another execution still runs after the wait (exit 1), or the job cannot run.</exception>
    Task<JobExecution> ExecuteJobAsync(ResolvedTarget target, string job, IReadOnlyList<string> command, JobRun jobRun, CancellationToken cancellationToken);

    /// <summary>The job's most recent execution, or null when it never ran.</summary>
    Task<JobExecution?> GetLatestExecutionAsync(ResolvedTarget target, string job, CancellationToken cancellationToken);

    /// <summary>
    /// Where a revision answers HTTP on its own — Cloud Run's tag URL of the revision, the local revision's
    /// port — or, with null, where the service answers (by its split).
    /// </summary>
    /// <exception cref="PlatformException">The revision has no URL of its own (on Cloud Run: no traffic tag).</exception>
    Task<Uri> UrlAsync(ResolvedTarget target, string? revision, CancellationToken cancellationToken);

    /// <summary>
    /// What a request DeployMatrix itself sends to <paramref name="url"/> (a smoke check, a gate check of the
    /// lane) must carry to be let in by the platform, or null when the service lets anyone in: on Cloud Run a
    /// Google-signed ID token for a service that requires authentication, on the local platform nothing.
    /// The value is a secret: it goes in the request's header and nowhere else.
    /// </summary>
    /// <param name="url">A URL <see cref="UrlAsync"/> gave (with any path): credentials are only ever made for the service's own URLs.</param>
    /// <exception cref="PlatformException">The service requires credentials these cannot make; the message names the fix.</exception>
    Task<AuthenticationHeaderValue?> InvokerCredentialsAsync(ResolvedTarget target, Uri url, CancellationToken cancellationToken);

    /// <summary>
    /// The target's domain mapping (<see cref="ResolvedTarget.Domain"/>, which must be set): on Cloud Run the v1
    /// <c>domainmappings</c> resource of the target's region; the local platform has none and says so
    /// (<see cref="DomainMapping.Applies"/> false).
    /// </summary>
    /// <exception cref="PlatformException">The platform could not be asked.</exception>
    Task<DomainMapping> GetDomainMappingAsync(ResolvedTarget target, CancellationToken cancellationToken);

    /// <summary>
    /// Counts the service's log entries that match <paramref name="query"/> (every revision of it): on Cloud Run
    /// Cloud Logging's <c>entries.list</c>, on the local platform the revisions' log files.
    /// </summary>
    /// <exception cref="PlatformException">The logs could not be read.</exception>
    Task<LogReadout> ReadLogsAsync(ResolvedTarget target, LogQuery query, CancellationToken cancellationToken);

    /// <summary>How this platform's request metrics can be read: live, or in whole periods visible some time after they end.</summary>
    MetricsCadence MetricsCadence { get; }

    /// <summary>
    /// Request counters per revision, cumulative from a fixed origin up to <paramref name="until"/> (canary
    /// analysis takes differences between two reads). With a periodic <see cref="MetricsCadence"/>,
    /// <paramref name="until"/> is a period boundary no later than <see cref="Core.Analysis.MetricsCadence.VisibleUntil"/>
    /// of now, and the origin is the first <paramref name="until"/> this platform was asked for; live counters
    /// are read as they stand (since each revision started) and <paramref name="until"/> is now.
    /// </summary>
    Task<IReadOnlyDictionary<string, RevisionSample>> GetRevisionMetricsAsync(ResolvedTarget target, DateTimeOffset until, CancellationToken cancellationToken);
}

/// <summary>Opens platforms for an operation; the composition root knows how (the local agent, Google's credentials).</summary>
public interface IPlatformProvider
{
    /// <summary>The platform, ready to use: the local agent reached, or Google's credentials proven to yield a token.</summary>
    /// <exception cref="PlatformException">It cannot be reached (the agent is not running: exit 1; no credentials: exit 2).</exception>
    Task<IPlatform> OpenAsync(PlatformKind kind, CancellationToken cancellationToken);

    /// <summary>Builds images for this platform: a local build stored by content, or a Cloud Build. Needs no running agent.</summary>
    Task<IImageBuilder> BuilderAsync(PlatformKind kind, CancellationToken cancellationToken);
}

/// <summary>Builds a lane's image from a plan's build step.</summary>
public interface IImageBuilder
{
    /// <param name="say">Progress for people, one line at a time.</param>
    /// <exception cref="PlatformException">The build failed; the message names its log.</exception>
    Task<BuildOutcome> BuildAsync(Core.Planning.Step step, Action<string> say, CancellationToken cancellationToken);
}

/// <summary>What a build produced: the image as the platform names it and facts for the audit record (log URL, build id…).</summary>
public sealed record BuildOutcome(string Image, IReadOnlyDictionary<string, string?> Facts)
{
    /// <summary>The content's digest (<c>sha256:…</c>): the local artifact's, or the image Cloud Build pushed; null where the builder cannot tell.</summary>
    public string? Digest { get; init; }
}

/// <summary>How a job execution is started and ended.</summary>
/// <param name="Wait">How long to wait for a running execution of the same job to end (the command's <c>--lock-wait</c>).</param>
/// <param name="WaitOnCancel">On cancel, let the execution finish instead of stopping it (<c>--wait-on-cancel</c>).</param>
public sealed record JobRun(TimeSpan Wait, bool WaitOnCancel = false)
{
    /// <summary>No wait for another execution; stop this one on cancel.</summary>
    public static JobRun Default { get; } = new(TimeSpan.Zero);
}

/// <summary>
/// A job execution's command was cancelled: thrown by <see cref="IPlatform.ExecuteJobAsync"/> once the
/// execution was stopped, awaited (<see cref="JobRun.WaitOnCancel"/>) or, failing both, left to finish.
/// </summary>
/// <param name="execution">The execution's short name (<c>runtime-migrate-x7k2p</c>, <c>migrate-00003</c>).</param>
/// <param name="outcome">What became of it, for people: "stopped", "awaited: it succeeded", "could not be stopped: …".</param>
public sealed class ExecutionCancelledException(string execution, string outcome, CancellationToken token)
    : OperationCanceledException($"execution {execution} {outcome}", token)
{
    public string Execution { get; } = execution;

    public string Outcome { get; } = outcome;
}
