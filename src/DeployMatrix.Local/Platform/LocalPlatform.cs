using System.Net.Http.Headers;
using DeployMatrix.Core;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Artifacts;
using DeployMatrix.Local.Proxy;
using DeployMatrix.Local.Supervisor;
using DeployMatrix.State;

namespace DeployMatrix.Local.Platform;

/// <summary>
/// The local platform behind the engine's port: revisions and traffic go through the agent, artifacts
/// through the store on this machine, job executions through the agent, which owns their processes (a
/// dying command cannot orphan one) and runs one per job at a time, with the same artifact and data
/// folder as the service. Everything about a target comes resolved; the
/// platform never reads the matrix. Processes run in <paramref name="workingDirectory"/> (the matrix's folder).
/// </summary>
public sealed class LocalPlatform(LocalPaths paths, StateStore state, ArtifactStore artifacts, AgentClient agent, TimeProvider time, string workingDirectory) : IPlatform
{
    /// <value>The default bound for a migration job is 30 minutes.</value>
    public TimeSpan JobTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How often a running execution is asked about (the agent owns it; this process only follows it).</summary>
    private static readonly TimeSpan ExecutionPoll = TimeSpan.FromMilliseconds(100);

    public PlatformKind Kind => PlatformKind.Local;

    public IMaintenanceMode Maintenance => new LocalMaintenance(paths, agent, workingDirectory);

    public Task<string> ResolveImageAsync(ResolvedTarget target, string image, CancellationToken cancellationToken)
    {
        var artifact = artifacts.Resolve(image)
            ?? throw new PlatformException($"no local artifact {image}; build it first: deploymatrix build {target.Lane} --tag {TagOf(image)}", ExitCodes.BadInput);
        return Task.FromResult(ArtifactStore.ImageName(artifact.Lane, artifact.Digest));
    }

    /// <remarks>
    /// A local revision starts without traffic (unless <paramref name="noTraffic"/> is false, <c>traffic: direct</c>: then it
    /// takes all of it once ready, as Cloud Run's deploy without <c>--no-traffic</c>), and its own URL is its port (<see cref="UrlAsync"/>) for
    /// as long as it runs; <paramref name="trafficTag"/> names that URL in <c>status</c> (<see cref="ServiceStatus.Tags"/>).
    /// </remarks>
    public async Task<RevisionInfo> DeployRevisionAsync(ResolvedTarget target, string image, string? tag, bool noTraffic, string? trafficTag, CancellationToken cancellationToken)
    {
        var artifact = artifacts.Resolve(image) ?? throw new PlatformException($"no local artifact {image}", ExitCodes.BadInput);
        var launch = new LaunchSpec
        {
            Executable = artifact.Path,
            Args = target.ServeArgs,
            Env = target.Env,
            WorkingDirectory = workingDirectory,
            Probe = target.Probe,
            Protocol = target.Serving.Protocol,
            RequestTimeout = target.Serving.RequestTimeout,
        };
        var listener = ListenerSettings.From(target.Serving, workingDirectory);
        var revision = await Call(() => agent.CreateRevisionAsync(
            new CreateRevisionRequest(target.Lane, target.Environment, target.Service, target.Port, image, artifact.Digest, tag, launch, listener), cancellationToken));
        if (!noTraffic && revision.Status == RevisionStatus.Ready)
        {
            // The deploy step itself moves traffic (no later traffic step in a direct plan): all of it, to the ready revision.
            await SetTrafficAsync(target, [new TrafficAssignment(revision.Name, 100)], cancellationToken);
        }

        return new RevisionInfo(revision.Name, revision.Image, revision.Status, revision.Reason, revision.Tag) { Digest = revision.Digest };
    }

    /// <summary>The agent acts for whoever holds its token (the file only this user can read), so nothing is missing.</summary>
    public Task<IReadOnlyList<string>> MissingPermissionsAsync(ResolvedTarget target, IReadOnlyList<string> servicePermissions, string? job, IReadOnlyList<string> jobPermissions, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    /// <summary>A local revision gets the matrix's <c>env</c> (with <c>PORT</c> and the <c>DEPLOYMATRIX_*</c> variables, which no requirement names).</summary>
    public Task<IReadOnlyDictionary<string, Core.Preflight.EnvSource>> NewRevisionEnvAsync(ResolvedTarget target, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, Core.Preflight.EnvSource>>(target.Env.ToDictionary(e => e.Key, e => Core.Preflight.EnvSource.Literal(e.Value), StringComparer.Ordinal));

    public string HowToSet(ResolvedTarget target, Requirement requirement) =>
        $"set it in 'env' of lane '{target.Lane}' (or of its '{target.Environment}' target) in the matrix";

    public async Task<ServiceStatus> GetServiceAsync(ResolvedTarget target, CancellationToken cancellationToken)
    {
        var view = await Call(() => agent.ServiceAsync(target.Environment, target.Service, cancellationToken));
        if (view is null)
        {
            return ServiceStatus.None(target.Service);
        }

        return new ServiceStatus(
            view.Service,
            view.Image,
            [.. view.Revisions.Select(r => new RevisionInfo(r.Name, r.Image, r.Status, r.Reason, r.Tag)
            {
                Digest = r.Digest,
                Percent = r.Percent,
                Running = r.Running,
                Port = r.Port,
                Pid = r.Pid,
                CreatedAt = r.CreatedAt,
                ReadyAt = r.ReadyAt,
                Metrics = r.Metrics is { } m ? new RevisionCounters(m.Requests, m.Failed, m.P95Ms) : null,
            })],
            [.. view.Traffic.Select(t => new TrafficAssignment(t.Revision, t.Percent))],
            view.LatestCreatedRevision,
            view.LatestReadyRevision,
            view.Url is null ? null : new Uri(view.Url))
        {
            ListenerPort = view.ListenerPort,
            MaintenanceSince = view.MaintenanceSince,
            // A running revision's own URL is its port; it is named by its release's tag, as on Cloud Run.
            Tags = [.. view.Revisions.Where(r => r is { Running: true, Port: not null, Tag: not null })
                .Select(r => new TrafficTag(TrafficTags.For(view.Service, r.Tag!), r.Name, new Uri($"http://127.0.0.1:{r.Port}")))],
        };
    }

    /// <summary>A local revision's own URL closes when it stops: the tagged revisions that serve nothing are stopped (drained first).</summary>
    public async Task RemoveTrafficTagsAsync(ResolvedTarget target, IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        var service = await GetServiceAsync(target, cancellationToken);
        var revisions = service.Tags.Where(t => tags.Contains(t.Tag) && t.Revision is not null).Select(t => t.Revision!).ToList();
        if (revisions.Count > 0)
        {
            await Call(() => agent.StopRevisionsAsync(target.Environment, target.Service, revisions, cancellationToken));
        }
    }

    public async Task SetTrafficAsync(ResolvedTarget target, IReadOnlyList<TrafficAssignment> splits, CancellationToken cancellationToken) =>
        await Call(() => agent.SetTrafficAsync(target.Environment, target.Service, [.. splits.Select(s => new TrafficEntry(s.Revision, s.Percent))], cancellationToken));

    /// <remarks>The local job runs the artifact itself with the arguments its execution gets; <paramref name="entrypoint"/> and <paramref name="args"/> are Cloud Run's.</remarks>
    public Task UpdateJobImageAsync(ResolvedTarget target, string job, string image, string? entrypoint, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var artifact = artifacts.Resolve(image) ?? throw new PlatformException($"no local artifact {image}", ExitCodes.BadInput);
        state.PutJob(new JobRecord(target.Environment, job, target.Lane, target.Service, image, artifact.Digest));
        return Task.CompletedTask;
    }

    public Task<string?> GetJobImageAsync(ResolvedTarget target, string job, CancellationToken cancellationToken) =>
        Task.FromResult(state.FindJob(target.Environment, job)?.Image);

    public async Task<JobExecution> ExecuteJobAsync(ResolvedTarget target, string job, IReadOnlyList<string> command, JobRun jobRun, CancellationToken cancellationToken)
    {
        var record = state.FindJob(target.Environment, job) ?? throw new PlatformException($"job {job} has no image yet; point it at one first");
        var artifact = artifacts.Resolve(record.Image) ?? throw new PlatformException($"job {job} runs {record.Image}, which is no longer stored");
        var launch = new LaunchSpec { Executable = artifact.Path, Args = command, Env = target.Env, WorkingDirectory = workingDirectory };
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DEPLOYMATRIX_SERVICE"] = target.Service,
            ["DEPLOYMATRIX_JOB"] = job,
            ["DEPLOYMATRIX_IMAGE"] = record.Image,
            ["DEPLOYMATRIX_ENV"] = target.Environment,
            ["DEPLOYMATRIX_DATA_DIR"] = paths.DataDir(target.Environment, target.Service),
        };
        var request = new StartExecutionRequest(target.Environment, job, record.Image, artifact.Digest, launch, extra, paths.DataDir(target.Environment, target.Service));
        var execution = await StartAsync(request, jobRun.Wait, cancellationToken);
        try
        {
            execution = await UntilEndedAsync(execution, JobTimeout, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The command was cancelled: the execution is stopped (or, asked to, awaited), never left running unowned.
            var ended = jobRun.WaitOnCancel
                ? await UntilEndedAsync(execution, JobTimeout, CancellationToken.None)
                : await Call(() => agent.CancelExecutionAsync(execution.Id, "the command that started it was cancelled", CancellationToken.None));
            throw new ExecutionCancelledException(execution.Name, jobRun.WaitOnCancel ? $"awaited: it {Ended(ended)}" : "stopped", cancellationToken);
        }

        if (execution.Status == ExecutionStatus.Running)
        {
            await Call(() => agent.CancelExecutionAsync(execution.Id, $"it ran longer than {JobTimeout.TotalMinutes:0} minutes", CancellationToken.None));
            throw new PlatformException($"migration job {job} ran longer than {JobTimeout.TotalMinutes:0} minutes and was stopped (execution {execution.Name}); logs: {execution.Log}");
        }

        return new JobExecution(execution.Name, record.Image, execution.Status == ExecutionStatus.Succeeded, execution.ExitCode, execution.Log);
    }

    private static string Ended(ExecutionView execution) => execution.Status switch
    {
        ExecutionStatus.Succeeded => "succeeded",
        ExecutionStatus.Running => "is still running",
        _ => $"{execution.Status} (exit {execution.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"})",
    };

    /// <summary>Starts the execution through the agent; while another execution of the job runs, retries until <paramref name="wait"/> has passed.</summary>
    private async Task<ExecutionView> StartAsync(StartExecutionRequest request, TimeSpan wait, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            try
            {
                return await agent.StartExecutionAsync(request, ct);
            }
            catch (AgentException e) when (e.Status == 409)
            {
                if (time.GetUtcNow() >= deadline)
                {
                    throw new PlatformException(wait > TimeSpan.Zero ? $"{e.Message}; waited {wait.TotalSeconds:0} s (--lock-wait)" : $"{e.Message}; wait for it with --lock-wait SECONDS");
                }

                await Task.Delay(ExecutionPoll, time, ct);
            }
            catch (AgentException e)
            {
                throw new PlatformException(e.Message, e.Status is >= 400 and < 500 ? ExitCodes.BadInput : ExitCodes.Failed);
            }
        }
    }

    /// <summary>Follows the execution until it ends or <paramref name="bound"/> has passed; returns it as last seen.</summary>
    private async Task<ExecutionView> UntilEndedAsync(ExecutionView execution, TimeSpan bound, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + bound;
        while (execution.Status == ExecutionStatus.Running && time.GetUtcNow() < deadline)
        {
            await Task.Delay(ExecutionPoll, time, ct);
            execution = await Call(() => agent.ExecutionAsync(execution.Id, ct));
        }

        return execution;
    }

    public Task<JobExecution?> GetLatestExecutionAsync(ResolvedTarget target, string job, CancellationToken cancellationToken)
    {
        var latest = state.Executions(target.Environment, job, 1).FirstOrDefault();
        return Task.FromResult(latest is null
            ? null
            : new JobExecution(LocalAgent.ExecutionName(job, latest.Id), latest.Image, latest.Status == ExecutionStatus.Succeeded, latest.ExitCode, paths.JobLog(latest.Env, job, latest.Id)));
    }

    /// <summary>Nothing: the local proxy and listeners let every caller on this machine in.</summary>
    public Task<AuthenticationHeaderValue?> InvokerCredentialsAsync(ResolvedTarget target, Uri url, CancellationToken cancellationToken) =>
        Task.FromResult<AuthenticationHeaderValue?>(null);

    public async Task<Uri> UrlAsync(ResolvedTarget target, string? revision, CancellationToken cancellationToken)
    {
        var view = await Call(() => agent.ServiceAsync(target.Environment, target.Service, cancellationToken))
            ?? throw new PlatformException($"{target.Service} has not been deployed to {target.Environment}");
        if (revision is null)
        {
            return new Uri(view.Url ?? throw new PlatformException($"{target.Service} has no listener"));
        }

        var port = view.Revisions.FirstOrDefault(r => r.Name == revision)?.Port ?? throw new PlatformException($"revision {revision} is not running");
        return new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>
    /// The local platform has no domain mappings: the mapping does not apply (<see cref="DomainMapping.Applies"/> false),
    /// so checks of the service use its URL and say so, and the gate's domain check is skipped.
    /// </summary>
    public Task<DomainMapping> GetDomainMappingAsync(ResolvedTarget target, CancellationToken cancellationToken) =>
        Task.FromResult(new DomainMapping(target.Domain ?? "", false, false, null, target.Service, null, null, null));

    /// <summary>Every revision's log file, stamped line by line by the agent (<see cref="LocalLogs"/>).</summary>
    public async Task<LogReadout> ReadLogsAsync(ResolvedTarget target, LogQuery query, CancellationToken cancellationToken)
    {
        var view = await Call(() => agent.ServiceAsync(target.Environment, target.Service, cancellationToken));
        return LocalLogs.Read((view?.Revisions ?? []).Select(r => (r.Name, paths.RevisionLog(r.Name))), query);
    }

    /// <summary>The proxy counts every exchange as it ends: live counters, readable at any instant.</summary>
    public MetricsCadence MetricsCadence => MetricsCadence.Live;

    public async Task<IReadOnlyDictionary<string, RevisionSample>> GetRevisionMetricsAsync(ResolvedTarget target, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var view = await Call(() => agent.ServiceAsync(target.Environment, target.Service, cancellationToken));
        var samples = new Dictionary<string, RevisionSample>(StringComparer.Ordinal);
        foreach (var revision in view?.Revisions ?? [])
        {
            if (revision.Metrics is { } m)
            {
                samples[revision.Name] = new RevisionSample(revision.Name, m.Requests, m.Failed, m.Histogram, RevisionMetrics.BucketBoundsMs);
            }
        }

        return samples;
    }

    private static string TagOf(string image) => image[(image.LastIndexOf(':') + 1)..];

    internal static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (AgentException e)
        {
            throw new PlatformException(e.Message, e.Status is 400 or 404 or 409 ? ExitCodes.BadInput : ExitCodes.Failed);
        }
    }
}
