using DeployMatrix.Core;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Artifacts;
using DeployMatrix.Local.Proxy;
using DeployMatrix.Local.Supervisor;
using DeployMatrix.State;

namespace DeployMatrix.Local.Platform;

/// <summary>
/// The local platform behind the engine's port: revisions and traffic go through the agent, artifacts
/// and jobs through the store on this machine. Migration jobs run here, in the caller's process, with
/// the same artifact and data folder as the service. Everything about a target comes resolved; the
/// platform never reads the matrix. Processes run in <paramref name="workingDirectory"/> (the matrix's folder).
/// </summary>
public sealed class LocalPlatform(LocalPaths paths, StateStore state, ArtifactStore artifacts, AgentClient agent, IProcessRunner processes, string workingDirectory) : IPlatform
{
    /// <value>The default bound for a migration job is 30 minutes.</value>
    public TimeSpan JobTimeout { get; init; } = TimeSpan.FromMinutes(30);

    public PlatformKind Kind => PlatformKind.Local;

    public IMaintenanceMode Maintenance => new LocalMaintenance(paths, agent, workingDirectory);

    public Task<string> ResolveImageAsync(ResolvedTarget target, string image, CancellationToken cancellationToken)
    {
        var artifact = artifacts.Resolve(image)
            ?? throw new PlatformException($"no local artifact {image}; build it first: deploymatrix build {target.Lane} --tag {TagOf(image)}", ExitCodes.BadInput);
        return Task.FromResult(ArtifactStore.ImageName(artifact.Lane, artifact.Digest));
    }

    public async Task<RevisionInfo> DeployRevisionAsync(ResolvedTarget target, string image, string? tag, bool noTraffic, CancellationToken cancellationToken)
    {
        var artifact = artifacts.Resolve(image) ?? throw new PlatformException($"no local artifact {image}", ExitCodes.BadInput);
        var launch = new LaunchSpec
        {
            Executable = artifact.Path,
            Args = target.ServeArgs,
            Env = target.Env,
            WorkingDirectory = workingDirectory,
            Probe = target.Probe,
        };
        var revision = await Call(() => agent.CreateRevisionAsync(
            new CreateRevisionRequest(target.Lane, target.Environment, target.Service, target.Port, image, artifact.Digest, tag, launch), cancellationToken));
        return new RevisionInfo(revision.Name, revision.Image, revision.Status, revision.Reason, revision.Tag) { Digest = revision.Digest };
    }

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
        };
    }

    public async Task SetTrafficAsync(ResolvedTarget target, IReadOnlyList<TrafficAssignment> splits, CancellationToken cancellationToken) =>
        await Call(() => agent.SetTrafficAsync(target.Environment, target.Service, [.. splits.Select(s => new TrafficEntry(s.Revision, s.Percent))], cancellationToken));

    public Task UpdateJobImageAsync(ResolvedTarget target, string job, string image, CancellationToken cancellationToken)
    {
        var artifact = artifacts.Resolve(image) ?? throw new PlatformException($"no local artifact {image}", ExitCodes.BadInput);
        state.PutJob(new JobRecord(target.Environment, job, target.Lane, target.Service, image, artifact.Digest));
        return Task.CompletedTask;
    }

    public Task<string?> GetJobImageAsync(ResolvedTarget target, string job, CancellationToken cancellationToken) =>
        Task.FromResult(state.FindJob(target.Environment, job)?.Image);

    public async Task<JobExecution> ExecuteJobAsync(ResolvedTarget target, string job, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var record = state.FindJob(target.Environment, job) ?? throw new PlatformException($"job {job} has no image yet; point it at one first");
        var artifact = artifacts.Resolve(record.Image) ?? throw new PlatformException($"job {job} runs {record.Image}, which is no longer stored");
        var id = state.StartExecution(target.Environment, job, record.Image, artifact.Digest, "");
        var log = paths.JobLog(target.Environment, job, id);
        var dataDir = paths.DataDir(target.Environment, target.Service);
        Directory.CreateDirectory(dataDir);
        var launch = new LaunchSpec { Executable = artifact.Path, Args = command, Env = target.Env, WorkingDirectory = workingDirectory };
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DEPLOYMATRIX_SERVICE"] = target.Service,
            ["DEPLOYMATRIX_JOB"] = job,
            ["DEPLOYMATRIX_IMAGE"] = record.Image,
            ["DEPLOYMATRIX_ENV"] = target.Environment,
            ["DEPLOYMATRIX_DATA_DIR"] = dataDir,
        };
        int exitCode;
        try
        {
            var result = await processes.RunAsync(launch.Process(extra, log, TimeSpan.FromSeconds(5)) with { Timeout = JobTimeout }, cancellationToken);
            exitCode = result.ExitCode;
        }
        catch (ProcessStartException e)
        {
            state.FinishExecution(id, 127);
            throw new PlatformException($"migration job {job} cannot start: {e.Reason}");
        }

        state.FinishExecution(id, exitCode);
        return new JobExecution(ExecutionName(job, id), record.Image, exitCode == 0, exitCode, log);
    }

    public Task<JobExecution?> GetLatestExecutionAsync(ResolvedTarget target, string job, CancellationToken cancellationToken)
    {
        var latest = state.Executions(target.Environment, job, 1).FirstOrDefault();
        return Task.FromResult(latest is null
            ? null
            : new JobExecution(ExecutionName(job, latest.Id), latest.Image, latest.Status == ExecutionStatus.Succeeded, latest.ExitCode, paths.JobLog(latest.Env, job, latest.Id)));
    }

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

    public async Task<IReadOnlyDictionary<string, RevisionSample>> GetRevisionMetricsAsync(ResolvedTarget target, CancellationToken cancellationToken)
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

    private static string ExecutionName(string job, long id) => $"{job}-{id:D5}";

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
