using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Local.Artifacts;
using DeployMatrix.Local.Proxy;
using DeployMatrix.State;

namespace DeployMatrix.Local.Agent;

/// <summary>Timeouts of the local platform, with the defaults a single host needs.</summary>
public sealed record AgentOptions
{
    /// <value>The default is 30 seconds.</value>
    public TimeSpan ReadinessTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <value>The default is 5 seconds between SIGINT and killing the process tree.</value>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The local platform's runtime: owns the revision and job processes and the services' proxy listeners, keeps
/// the desired state in the store, and on start brings back every revision that should run with the
/// exact traffic split it had.
/// </summary>
public sealed partial class LocalAgent(LocalPaths paths, StateStore state, TimeProvider time, AgentOptions options, IProcessRunner? processes = null) : IAsyncDisposable
{
    private readonly IProcessRunner _processes = processes ?? new ProcessRunner(time);
    private readonly ArtifactStore _artifacts = new(paths, state);
    private readonly ConcurrentDictionary<string, ServiceProxy> _proxies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RunningRevision> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _serviceLocks = new(StringComparer.Ordinal);
    private readonly Lock _stateLock = new();
    private bool _stopping;

    private static string Key(string env, string service) => $"{env}/{service}";

    /// <summary>The listener settings recorded for a service (the defaults for one recorded before they were).</summary>
    private static ListenerSettings ListenerOf(ServiceRecord service) =>
        service.Listener is { } json ? JsonSerializer.Deserialize<ListenerSettings>(json, AgentJson.Options) ?? ListenerSettings.Default : ListenerSettings.Default;

    /// <summary>Restores what should run: kills processes a crashed agent left behind, restarts revisions, re-applies splits.</summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        ReconcileExecutions();
        var toRun = Locked(() => state.RevisionsToRun());
        foreach (var revision in toRun)
        {
            KillOrphan(revision);
        }

        foreach (var service in Locked(() => state.Services()))
        {
            var traffic = Locked(() => state.Traffic(service.Env, service.Service));
            var wanted = toRun.Where(r => r.Env == service.Env && r.Service == service.Service).ToList();
            if (traffic.Count == 0 && wanted.Count == 0)
            {
                continue;
            }

            await WithServiceLock(service.Env, service.Service, async () =>
            {
                await EnsureProxyAsync(service.Env, service.Service, service.Port, ListenerOf(service), cancellationToken);
                foreach (var revision in wanted)
                {
                    try
                    {
                        await StartRevisionAsync(revision, cancellationToken);
                    }
                    catch (AgentException)
                    {
                        // Recorded as failed; the split below leaves it out only if it has no traffic.
                    }
                }

                ApplyWheel(service.Env, service.Service, traffic);
                return 0;
            });
        }
    }

    public async Task<RevisionView> CreateRevisionAsync(CreateRevisionRequest request, CancellationToken cancellationToken) =>
        await WithServiceLock(request.Env, request.Service, async () =>
        {
            if (_artifacts.CheckLaunchable(request.Launch.Executable, request.Digest) is { } refused)
            {
                throw new AgentException(400, $"artifact {request.Image} cannot be launched: {refused}");
            }

            var listener = request.Listener ?? ListenerSettings.Default;
            Locked(() => state.EnsureService(request.Env, request.Service, request.Lane, request.ListenerPort, JsonSerializer.Serialize(listener, AgentJson.Options)));
            await EnsureProxyAsync(request.Env, request.Service, request.ListenerPort, listener, cancellationToken);
            var number = Locked(() => state.NextRevisionNumber(request.Env, request.Service));
            var name = $"{request.Service}-{number:D5}-{Suffix()}";
            var record = new RevisionRecord(name, request.Env, request.Service, request.Lane, request.Image, request.Digest, request.Tag,
                JsonSerializer.Serialize(request.Launch), RevisionStatus.Starting, "run", null, null, null, "", null);
            Locked(() => state.AddRevision(record));
            await StartRevisionAsync(Locked(() => state.FindRevision(name))!, cancellationToken);
            return View(Locked(() => state.FindRevision(name))!, 0);
        });

    public async Task SetTrafficAsync(string env, string service, IReadOnlyList<TrafficEntry> splits, CancellationToken cancellationToken) =>
        await WithServiceLock(env, service, async () =>
        {
            var known = Locked(() => state.Revisions(env, service)).ToDictionary(r => r.Name, StringComparer.Ordinal);
            if (known.Count == 0)
            {
                throw new AgentException(404, $"service {service} has no revisions in {env}; deploy it first");
            }

            ValidateSplits(splits, known);
            foreach (var split in splits.Where(s => !_running.ContainsKey(s.Revision)))
            {
                // A revision that was drained (or died) is started again before it takes traffic — at 0% too:
                // a canary at a rollout's 0% stage is checked on its own URL (its port) before any user reaches it.
                Locked(() => state.SetDesired(split.Revision, "run"));
                await StartRevisionAsync(known[split.Revision], cancellationToken);
            }

            var before = Locked(() => state.Traffic(env, service)).Select(t => t.Revision).ToHashSet(StringComparer.Ordinal);
            var records = splits.Select(s => new TrafficSplitRecord(s.Revision, s.Percent)).ToList();
            ApplyWheel(env, service, records);
            Locked(() => state.SetTraffic(env, service, records));
            foreach (var dropped in before.Where(r => !splits.Any(s => s.Revision == r)))
            {
                StartDrain(dropped);
            }

            return 0;
        });

    public ServiceView? GetService(string env, string service)
    {
        var record = Locked(() => state.FindService(env, service));
        if (record is null)
        {
            return null;
        }

        var traffic = Locked(() => state.Traffic(env, service));
        var revisions = Locked(() => state.Revisions(env, service));
        var views = revisions
            .Select(r => View(r, traffic.FirstOrDefault(t => t.Revision == r.Name)?.Percent ?? 0))
            .Reverse()
            .ToList();
        var latestReady = revisions.LastOrDefault(r => r.ReadyAt is not null);
        _proxies.TryGetValue(Key(env, service), out var proxy);
        return new ServiceView(env, service, record.Lane, proxy?.Port ?? record.Port, proxy is null ? null : $"{(proxy.Tls ? "https" : "http")}://127.0.0.1:{proxy.Port}",
            (revisions.Count > 0 ? revisions[^1].Name : null), latestReady?.Name, latestReady?.Image,
            [.. traffic.Select(t => new TrafficEntry(t.Revision, t.Percent))], views, proxy?.Maintenance is null ? null : Locked(() => state.FindMaintenance(env, service))?.Since);
    }

    public IReadOnlyList<ServiceView> Services() =>
        [.. Locked(() => state.Services()).Select(s => GetService(s.Env, s.Service)!)];

    private static void ValidateSplits(IReadOnlyList<TrafficEntry> splits, Dictionary<string, RevisionRecord> known)
    {
        if (splits.Count == 0 || splits.Any(s => s.Percent is < 0 or > 100) || splits.Sum(s => s.Percent) != 100)
        {
            throw new AgentException(400, $"traffic percents must be integers 0..100 that sum to 100 (got {string.Join(",", splits.Select(s => $"{s.Revision}={s.Percent}"))})");
        }

        if (splits.GroupBy(s => s.Revision).Any(g => g.Count() > 1))
        {
            throw new AgentException(400, "each revision may appear once in a traffic split");
        }

        foreach (var split in splits)
        {
            if (!known.TryGetValue(split.Revision, out var revision))
            {
                throw new AgentException(404, $"unknown revision '{split.Revision}'; revisions: {string.Join(", ", known.Keys.TakeLast(5))}");
            }

            if (split.Percent > 0 && revision.Status == RevisionStatus.Failed && revision.ReadyAt is null)
            {
                throw new AgentException(409, $"revision {split.Revision} never became ready ({revision.Reason}); it cannot take traffic");
            }
        }
    }

    private async Task<T> WithServiceLock<T>(string env, string service, Func<Task<T>> work)
    {
        var gate = _serviceLocks.GetOrAdd(Key(env, service), _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            return await work();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The store is one connection shared by request threads; calls into it are serialized.</summary>
    private T Locked<T>(Func<T> read)
    {
        lock (_stateLock)
        {
            return read();
        }
    }

    private void Locked(Action write)
    {
        lock (_stateLock)
        {
            write();
        }
    }

    private static string Suffix()
    {
        const string letters = "abcdefghijklmnopqrstuvwxyz";
        return string.Create(3, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = letters[RandomNumberGenerator.GetInt32(letters.Length)];
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        await Task.WhenAll(_running.Values.Select(r => r.Process.StopAsync(options.StopGrace))
            .Concat(_executions.Values.Select(async e =>
            {
                await e.Process.StopAsync(options.StopGrace);
                await e.Finished;
            })));
        _running.Clear();
        foreach (var proxy in _proxies.Values)
        {
            await proxy.DisposeAsync();
        }

        _proxies.Clear();
    }
}
