using System.Net.Sockets;
using System.Text.Json;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Local.Proxy;
using DeployMatrix.Local.Supervisor;
using DeployMatrix.State;

namespace DeployMatrix.Local.Agent;

public sealed partial class LocalAgent
{
    private sealed record RunningRevision(string Name, ChildProcess Process, RevisionEndpoint Endpoint, CancellationTokenSource Drain)
    {
        /// <summary>The environment and service it serves: the labels of its exported metrics.</summary>
        public (string Env, string Service) Serves { get; init; }
    }

    /// <summary>Starts a revision's process on a free port and waits for readiness; on failure the revision is marked failed and stopped.</summary>
    private async Task StartRevisionAsync(RevisionRecord revision, CancellationToken cancellationToken)
    {
        var launch = JsonSerializer.Deserialize<LaunchSpec>(revision.Launch)!;
        if (_artifacts.CheckLaunchable(launch.Executable, revision.Digest) is { } refused)
        {
            // state.db names what to run; it is not trusted to: the revision fails, visibly, and is not retried.
            var reason = $"refused to launch: {refused}";
            Console.Error.WriteLine($"deploymatrix agent: revision {revision.Name}: {reason}");
            Locked(() => state.UpdateRevision(revision.Name, RevisionStatus.Failed, null, null, reason));
            Locked(() => state.SetDesired(revision.Name, "stop"));
            throw new AgentException(422, $"revision {revision.Name} {reason}");
        }

        var port = Ports.Free();
        var dataDir = paths.DataDir(revision.Env, revision.Service);
        Directory.CreateDirectory(dataDir);
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DEPLOYMATRIX_SERVICE"] = revision.Service,
            ["DEPLOYMATRIX_REVISION"] = revision.Name,
            ["DEPLOYMATRIX_IMAGE"] = revision.Image,
            ["DEPLOYMATRIX_TAG"] = revision.Tag ?? "",
            ["DEPLOYMATRIX_ENV"] = revision.Env,
            ["DEPLOYMATRIX_DATA_DIR"] = dataDir,
        };
        ChildProcess process;
        try
        {
            process = _processes.Start(launch.Process(env, paths.RevisionLog(revision.Name), options.StopGrace, time));
        }
        catch (ProcessStartException e)
        {
            Locked(() => state.UpdateRevision(revision.Name, RevisionStatus.Failed, null, null, e.Message));
            Locked(() => state.SetDesired(revision.Name, "stop"));
            throw new AgentException(422, $"revision {revision.Name} failed to start: {e.Message}");
        }

        Locked(() => state.UpdateRevision(revision.Name, RevisionStatus.Starting, port, process.Pid, null, process.StartTime));
        var problem = await Readiness.WaitAsync(process, port, launch.Probe, launch.Protocol, options.ReadinessTimeout, time, cancellationToken);
        if (problem is not null)
        {
            await process.StopAsync(options.StopGrace);
            Locked(() => state.UpdateRevision(revision.Name, RevisionStatus.Failed, port, null, problem));
            Locked(() => state.SetDesired(revision.Name, "stop"));
            throw new AgentException(422, $"revision {revision.Name} failed readiness: {problem}; traffic is unchanged; log: {paths.RevisionLog(revision.Name)}");
        }

        Locked(() => state.UpdateRevision(revision.Name, RevisionStatus.Ready, port, process.Pid, null, process.StartTime));
        var running = new RunningRevision(revision.Name, process, new RevisionEndpoint(revision.Name, port, launch.Protocol, launch.RequestTimeout), new CancellationTokenSource())
        {
            Serves = (revision.Env, revision.Service),
        };
        _running[revision.Name] = running;
        _ = WatchAsync(revision, running);
    }

    /// <summary>A revision that dies while it should run is marked failed and started again (bounded).</summary>
    private async Task WatchAsync(RevisionRecord revision, RunningRevision running)
    {
        var code = await running.Process.Exited;
        if (_stopping || !_running.TryRemove(new KeyValuePair<string, RunningRevision>(revision.Name, running)))
        {
            return;
        }

        Locked(() => state.UpdateRevision(revision.Name, RevisionStatus.Failed, null, null, $"exited with code {code}"));
        for (var attempt = 1; attempt <= 3 && !_stopping; attempt++)
        {
            await Task.Delay(TimeSpan.FromSeconds(attempt), time);
            var current = Locked(() => state.FindRevision(revision.Name));
            if (current is null || !current.ShouldRun)
            {
                return;
            }

            try
            {
                await WithServiceLock(revision.Env, revision.Service, async () =>
                {
                    await StartRevisionAsync(current, CancellationToken.None);
                    Locked(() => state.SetDesired(revision.Name, "run"));
                    ApplyWheel(revision.Env, revision.Service, Locked(() => state.Traffic(revision.Env, revision.Service)));
                    return 0;
                });
                return;
            }
            catch (AgentException)
            {
                // Try again after a longer pause.
            }
        }
    }

    /// <summary>Stops the named revisions of the service that serve no traffic (a revision with a share keeps running).</summary>
    public void StopRevisions(string env, string service, IReadOnlyList<string> revisions)
    {
        var own = Locked(() => state.Revisions(env, service)).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var revision in revisions.Where(own.Contains))
        {
            StartDrain(revision);
        }
    }

    /// <summary>
    /// Once a revision has lost its traffic, waits for its in-flight requests, then stops it. A request may run
    /// to the revision's request timeout, as on Cloud Run, where the proxy cuts it: the drain waits that long
    /// (and a moment for the cut), and a revision whose requests were cut is reported so, not as drained.
    /// </summary>
    private void StartDrain(string revision)
    {
        if (!_running.TryGetValue(revision, out var running))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            var endpoint = running.Endpoint;
            var cutBefore = endpoint.Metrics.TimedOut;
            var deadline = time.GetUtcNow() + endpoint.RequestTimeout + DrainMargin;
            var idleSince = time.GetUtcNow();
            while (time.GetUtcNow() < deadline && !running.Drain.IsCancellationRequested)
            {
                if (running.Endpoint.InFlight > 0)
                {
                    idleSince = time.GetUtcNow();
                }
                else if (time.GetUtcNow() - idleSince > TimeSpan.FromMilliseconds(500))
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), time);
            }

            await WithServiceLock(RevisionEnv(revision), RevisionService(revision), async () =>
            {
                var record = Locked(() => state.FindRevision(revision));
                var traffic = record is null ? [] : Locked(() => state.Traffic(record.Env, record.Service));
                if (record is null || traffic.Any(t => t.Revision == revision))
                {
                    return 0;
                }

                Locked(() => state.SetDesired(revision, "stop"));
                if (_running.TryRemove(revision, out var stopped))
                {
                    await stopped.Process.StopAsync(options.StopGrace);
                }

                var cut = endpoint.Metrics.TimedOut - cutBefore + endpoint.InFlight;
                Locked(() => state.UpdateRevision(revision, RevisionStatus.Stopped, null, null, cut > 0
                    ? $"cut after losing traffic: {cut} request(s) ran past its {endpoint.RequestTimeout.TotalSeconds:0.###} s request timeout"
                    : "drained after losing traffic"));
                return 0;
            });
        });
    }

    /// <summary>How long past the request timeout a drain waits for the proxy's cut to land.</summary>
    private static readonly TimeSpan DrainMargin = TimeSpan.FromSeconds(2);

    /// <summary>Requests in flight to a running revision (tests watch a drain with it).</summary>
    internal int InFlight(string revision) => _running.TryGetValue(revision, out var running) ? running.Endpoint.InFlight : 0;

    private string RevisionEnv(string revision) => Locked(() => state.FindRevision(revision))?.Env ?? "";

    private string RevisionService(string revision) => Locked(() => state.FindRevision(revision))?.Service ?? "";

    private void ApplyWheel(string env, string service, IReadOnlyList<TrafficSplitRecord> traffic)
    {
        if (!_proxies.TryGetValue(Key(env, service), out var proxy))
        {
            return;
        }

        var splits = traffic.Where(t => t.Percent > 0 && _running.ContainsKey(t.Revision)).Select(t => (_running[t.Revision].Endpoint, t.Percent)).ToList();
        proxy.SetWheel(splits.Sum(s => s.Percent) == 100 ? TrafficWheel.Build(splits) : TrafficWheel.Empty);
    }

    /// <summary>
    /// Starts the service's listener, or restarts it when a deploy brings other listener settings (limits,
    /// TLS are fixed when Kestrel starts): connections open on the old one are closed, its requests in
    /// flight get a few seconds, and the new one takes the same port, split and maintenance state.
    /// </summary>
    private async Task EnsureProxyAsync(string env, string service, int? port, ListenerSettings settings, CancellationToken cancellationToken)
    {
        if (_proxies.TryGetValue(Key(env, service), out var running))
        {
            if (running.Settings == settings)
            {
                return;
            }

            _proxies.TryRemove(Key(env, service), out _);
            port ??= running.Port;
            await running.DisposeAsync();
        }

        try
        {
            _proxies[Key(env, service)] = await ServiceProxy.StartAsync(env, service, port ?? 0, settings, time, cancellationToken);
            ApplyMaintenance(env, service);
            ApplyWheel(env, service, Locked(() => state.Traffic(env, service)));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new AgentException(409, $"port {port} for {service} ({env}) is in use by another process; free it or change the target's 'port' in the matrix");
        }
    }

    private RevisionView View(RevisionRecord r, int percent)
    {
        _running.TryGetValue(r.Name, out var running);
        return new RevisionView(r.Name, r.Image, r.Digest, r.Tag, r.Status, r.Reason, r.Port, r.Pid, r.CreatedAt, r.ReadyAt, percent,
            running is not null, running?.Endpoint.Metrics.Snapshot());
    }

    /// <summary>After a crash of the agent its children live on; the recorded process, if it still runs, is killed before a clean restart.</summary>
    private static void KillOrphan(RevisionRecord revision)
    {
        if (revision.Pid is { } pid && revision.PidStartTime is { } started)
        {
            KillIfSame(pid, started);
        }
    }

    /// <summary>
    /// Kills a process a dead agent left behind — only if <paramref name="pid"/> is still that process, the
    /// one that started at <paramref name="startTime"/> (<see cref="ProcessStartTime"/>): the pid may since
    /// have been given to another process, whatever its command line says. A row recorded without a start
    /// time names no process for sure and kills nothing.
    /// </summary>
    /// <returns>Whether a process was killed.</returns>
    private static bool KillIfSame(int pid, long startTime)
    {
        try
        {
            if (!ProcessStartTime.IsSame(pid, startTime))
            {
                return false;
            }

            using var orphan = System.Diagnostics.Process.GetProcessById(pid);
            orphan.Kill(entireProcessTree: true);
            orphan.WaitForExit(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone already, or not ours.
            return false;
        }
    }
}
