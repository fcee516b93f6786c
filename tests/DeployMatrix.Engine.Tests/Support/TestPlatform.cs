using System.Net.Http.Headers;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Tests.Support;

/// <summary>How a revision behaves under the simulated load: its share of failing answers and its latency; a share (0..1) of its answers may take <paramref name="SlowMs"/> instead.</summary>
public sealed record Behaviour(double ErrorRate = 0, double LatencyMs = 10, double SlowShare = 0, double SlowMs = 0);

/// <summary>
/// The platform port in memory, for the engine's unit tests: services with revisions and traffic, jobs
/// and executions, and a load simulated on the injected clock — <see cref="RequestsPerSecond"/> requests
/// spread over the split each fake second, failing and taking as long as each revision's
/// <see cref="Behaviour"/> says. Deterministic: the same clock gives the same figures.
/// </summary>
public sealed class TestPlatform(TimeProvider time, PlatformKind kind = PlatformKind.Local) : IPlatform
{
    /// <summary>Latency buckets (upper bounds, ms) of the simulated histograms.</summary>
    public static readonly IReadOnlyList<double> Bounds = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

    private readonly Dictionary<string, Service> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (double Offered, long Requests, double Failed, double[] Histogram)> _counters = new(StringComparer.Ordinal);
    private DateTimeOffset? _lastRead;
    private int _counter;

    public PlatformKind Kind => kind;

    public TestMaintenance Maintenance { get; } = new();

    IMaintenanceMode IPlatform.Maintenance => Maintenance;

    /// <value>The default is 100 requests per fake second.</value>
    public double RequestsPerSecond { get; set; } = 100;

    /// <summary>Per image: how its revisions answer.</summary>
    public Dictionary<string, Behaviour> Behaviours { get; } = new(StringComparer.Ordinal);

    /// <summary>Per image asked for: the image its revision runs instead, as when a tag moved under a deploy.</summary>
    public Dictionary<string, string> Runs { get; } = new(StringComparer.Ordinal);

    /// <summary>Images whose revisions never become ready.</summary>
    public HashSet<string> Unready { get; } = new(StringComparer.Ordinal);

    /// <summary>Jobs that keep their image when told to change it, as one a concurrent change reset.</summary>
    public HashSet<string> StuckJobs { get; } = new(StringComparer.Ordinal);

    /// <summary>Jobs whose executions fail, with the exit code they fail with.</summary>
    public Dictionary<string, int> FailingJobs { get; } = new(StringComparer.Ordinal);

    /// <summary>Images that resolve (the registry, or the local artifact store): a tag resolves to a digest.</summary>
    public Dictionary<string, string> Images { get; } = new(StringComparer.Ordinal);

    /// <summary>Per tag: what a build of it makes (the digest's hex; default <c>built-TAG</c>), as a rebuild of changed sources would.</summary>
    public Dictionary<string, string> BuildsAs { get; } = new(StringComparer.Ordinal);

    /// <summary>Turns a split away with the message it returns (null: take it).</summary>
    public Func<IReadOnlyList<TrafficAssignment>, string?> RefuseTraffic { get; set; } = _ => null;

    /// <summary>Set to make every call fail from now on, as a platform that went away.</summary>
    public string? Down { get; set; }

    /// <summary>Every call, in order ("SetTraffic svc a=90,b=10").</summary>
    public List<string> Calls { get; } = [];

    /// <summary>Where smoke checks reach a revision (or the service, for null); a test serves real HTTP there.</summary>
    public Uri BaseUrl { get; set; } = new("http://127.0.0.1:9/");

    public IReadOnlyList<TrafficAssignment> Traffic(string service) => Get(service).Traffic;

    /// <summary>The service's traffic tags: tag → revision.</summary>
    public IReadOnlyDictionary<string, string> Tags(string service) => Get(service).Tags;

    /// <summary>Gives a revision a traffic tag, as a team (or an earlier deploy) would.</summary>
    public void TagRevision(string service, string tag, string revision) => Get(service).Tags[tag] = revision;

    /// <summary>The newest revision of a service.</summary>
    public string Latest(string service) => Get(service).Revisions[^1].Name;

    /// <summary>Adds a service with one ready revision of <paramref name="image"/> serving all traffic; returns that revision.</summary>
    public string Seed(string service, string image, string? tag = null)
    {
        var revision = Create(service, image, tag, ready: true);
        Get(service).Traffic = [new TrafficAssignment(revision, 100)];
        return revision;
    }

    /// <summary>The digest an image by digest names (<c>…@sha256:x</c>), as the local platform reports it; null for an image by tag.</summary>
    public static string? DigestOf(string image) => image.LastIndexOf('@') is var at and > 0 ? image[(at + 1)..] : null;

    public Task<string> ResolveImageAsync(ResolvedTarget target, string image, CancellationToken cancellationToken)
    {
        Check("ResolveImage " + image);
        return Task.FromResult(Images.TryGetValue(image, out var exact) ? exact : throw new PlatformException($"no image {image}", 2));
    }

    public Task<RevisionInfo> DeployRevisionAsync(ResolvedTarget target, string image, string? tag, bool noTraffic, string? trafficTag, CancellationToken cancellationToken)
    {
        Check($"Deploy {target.Service} {image} tag={tag} noTraffic={noTraffic}");
        var ready = !Unready.Contains(image);
        var name = Create(target.Service, Runs.GetValueOrDefault(image, image), tag, ready);
        if (trafficTag is not null)
        {
            Get(target.Service).Tags[trafficTag] = name;
        }

        if (!noTraffic && ready)
        {
            Get(target.Service).Traffic = [new TrafficAssignment(name, 100)];
        }

        return Task.FromResult(Info(target.Service, name));
    }

    /// <summary>Permissions the caller lacks (as the platform names them); empty: all held.</summary>
    public List<string> Missing { get; } = [];

    /// <summary>The environment a new revision gets: the target's own env, with these over it.</summary>
    public Dictionary<string, DeployMatrix.Core.Preflight.EnvSource> RevisionEnv { get; } = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<string>> MissingPermissionsAsync(ResolvedTarget target, IReadOnlyList<string> servicePermissions, string? job, IReadOnlyList<string> jobPermissions, CancellationToken cancellationToken)
    {
        Check("TestPermissions " + target.Service);
        return Task.FromResult<IReadOnlyList<string>>([.. Missing]);
    }

    public Task<IReadOnlyDictionary<string, DeployMatrix.Core.Preflight.EnvSource>> NewRevisionEnvAsync(ResolvedTarget target, CancellationToken cancellationToken)
    {
        Check("RevisionEnv " + target.Service);
        var env = target.Env.ToDictionary(e => e.Key, e => DeployMatrix.Core.Preflight.EnvSource.Literal(e.Value), StringComparer.Ordinal);
        foreach (var (key, value) in RevisionEnv)
        {
            env[key] = value;
        }

        return Task.FromResult<IReadOnlyDictionary<string, DeployMatrix.Core.Preflight.EnvSource>>(env);
    }

    public string HowToSet(ResolvedTarget target, Requirement requirement) => $"set {requirement.Name} on {target.Service}";

    public Task<ServiceStatus> GetServiceAsync(ResolvedTarget target, CancellationToken cancellationToken)
    {
        Check("GetService " + target.Service);
        if (!_services.TryGetValue(target.Service, out var service))
        {
            return Task.FromResult(ServiceStatus.None(target.Service));
        }

        var latestReady = service.Revisions.LastOrDefault(r => r.Ready);
        return Task.FromResult(new ServiceStatus(
            target.Service, service.Revisions.LastOrDefault()?.Image, [.. service.Revisions.Select(r => Info(target.Service, r.Name)).Reverse()], service.Traffic,
            service.Revisions.LastOrDefault()?.Name, latestReady?.Name, BaseUrl)
        {
            Tags = [.. service.Tags.Select(t => new TrafficTag(t.Key, t.Value, BaseUrl))],
        });
    }

    public Task RemoveTrafficTagsAsync(ResolvedTarget target, IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        Check($"RemoveTags {target.Service} {string.Join(",", tags)}");
        foreach (var tag in tags)
        {
            Get(target.Service).Tags.Remove(tag);
        }

        return Task.CompletedTask;
    }

    public Task SetTrafficAsync(ResolvedTarget target, IReadOnlyList<TrafficAssignment> splits, CancellationToken cancellationToken)
    {
        Check($"SetTraffic {target.Service} {string.Join(",", splits.Select(s => $"{s.Revision}={s.Percent}"))}");
        var service = Get(target.Service);
        if (RefuseTraffic(splits) is { } refusal)
        {
            throw new PlatformException(refusal);
        }

        if (splits.Sum(s => s.Percent) != 100 || splits.Any(s => service.Revisions.All(r => r.Name != s.Revision)))
        {
            throw new PlatformException($"bad split {string.Join(",", splits.Select(s => $"{s.Revision}={s.Percent}"))}", 2);
        }

        Accumulate();
        service.Traffic = [.. splits.Where(s => s.Percent > 0)];
        return Task.CompletedTask;
    }

    public Task UpdateJobImageAsync(ResolvedTarget target, string job, string image, string? entrypoint, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        Check($"UpdateJob {job} {image}");
        if (!StuckJobs.Contains(job))
        {
            Jobs[job] = image;
        }

        return Task.CompletedTask;
    }

    public Dictionary<string, string> Jobs { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<JobExecution>> Executions { get; } = new(StringComparer.Ordinal);

    public Task<string?> GetJobImageAsync(ResolvedTarget target, string job, CancellationToken cancellationToken)
    {
        Check("GetJob " + job);
        return Task.FromResult(Jobs.GetValueOrDefault(job));
    }

    public Task<JobExecution> ExecuteJobAsync(ResolvedTarget target, string job, IReadOnlyList<string> command, JobRun jobRun, CancellationToken cancellationToken)
    {
        Check($"Execute {job} {string.Join(' ', command)}");
        var list = Executions.TryGetValue(job, out var found) ? found : Executions[job] = [];
        var failing = FailingJobs.TryGetValue(job, out var code);
        var execution = new JobExecution($"{job}-{list.Count + 1:00000}", Jobs.GetValueOrDefault(job) ?? "", !failing, failing ? code : 0, $"logs/{job}");
        list.Add(execution);
        return Task.FromResult(execution);
    }

    public Task<JobExecution?> GetLatestExecutionAsync(ResolvedTarget target, string job, CancellationToken cancellationToken)
    {
        Check("GetLatestExecution " + job);
        return Task.FromResult(Executions.TryGetValue(job, out var list) ? list.LastOrDefault() : null);
    }

    public Task<Uri> UrlAsync(ResolvedTarget target, string? revision, CancellationToken cancellationToken)
    {
        Check($"Url {target.Service} {revision}");
        return Task.FromResult(BaseUrl);
    }

    /// <summary>What every service wants of a caller (as a private Cloud Run service wants its ID token); null lets anyone in.</summary>
    public AuthenticationHeaderValue? Invoker { get; set; }

    /// <summary>Why credentials cannot be made (as for user credentials on a private Cloud Run service); null: they can.</summary>
    public string? InvokerRefused { get; set; }

    /// <summary>The URLs credentials were asked for, in order.</summary>
    public List<Uri> InvokerUrls { get; } = [];

    public Task<AuthenticationHeaderValue?> InvokerCredentialsAsync(ResolvedTarget target, Uri url, CancellationToken cancellationToken)
    {
        lock (InvokerUrls)
        {
            InvokerUrls.Add(url);
        }

        return InvokerRefused is { } why ? throw new PlatformException(why) : Task.FromResult(Invoker);
    }

    /// <summary>Per domain: the mapping's route and conditions (Ready, CertificateProvisioned) as a test sets them; a domain not here has no mapping.</summary>
    public Dictionary<string, (string Route, string Ready, string Certificate, Uri Endpoint)> Domains { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Log entries per service, as a test writes them.</summary>
    public Dictionary<string, List<LogEntry>> Logs { get; } = new(StringComparer.Ordinal);

    public Task<DomainMapping> GetDomainMappingAsync(ResolvedTarget target, CancellationToken cancellationToken)
    {
        Check("Domain " + target.Domain);
        var domain = target.Domain!;
        return Task.FromResult(Domains.TryGetValue(domain, out var d)
            ? new DomainMapping(domain, true, true, d.Route, target.Service, (d.Ready, null), (d.Certificate, null), d.Endpoint)
            : new DomainMapping(domain, true, false, null, target.Service, null, null, null));
    }

    public Task<LogReadout> ReadLogsAsync(ResolvedTarget target, LogQuery query, CancellationToken cancellationToken)
    {
        Check("Logs " + target.Service);
        var matching = Logs.GetValueOrDefault(target.Service, []).Where(e => e.Severity >= query.Severity && e.Timestamp >= query.Since).OrderBy(e => e.Timestamp).ToList();
        return Task.FromResult(new LogReadout(matching.Count, [.. matching.Take(query.Keep)], "the test platform's entries"));
    }

    public MetricsCadence MetricsCadence => MetricsCadence.Live;

    public Task<IReadOnlyDictionary<string, RevisionSample>> GetRevisionMetricsAsync(ResolvedTarget target, DateTimeOffset until, CancellationToken cancellationToken)
    {
        Check("Metrics " + target.Service);
        Accumulate();
        IReadOnlyDictionary<string, RevisionSample> samples = _counters.ToDictionary(
            c => c.Key, c => new RevisionSample(c.Key, c.Value.Requests, (long)Math.Floor(c.Value.Failed + 1e-9), [.. c.Value.Histogram.Select(h => (long)Math.Floor(h + 1e-9))], Bounds), StringComparer.Ordinal);
        return Task.FromResult(samples);
    }

    /// <summary>Adds what the load did since the last read: requests over the split, failures and latencies by behaviour.</summary>
    private void Accumulate()
    {
        var now = time.GetUtcNow();
        var elapsed = _lastRead is { } last ? (now - last).TotalSeconds : 0;
        _lastRead = now;
        foreach (var service in _services.Values)
        {
            foreach (var split in service.Traffic)
            {
                var revision = service.Revisions.First(r => r.Name == split.Revision);
                var behaviour = Behaviours.GetValueOrDefault(revision.Image) ?? new Behaviour();
                // Whole requests of what was offered so far: reads at any rate see the same load.
                var counter = _counters.TryGetValue(revision.Name, out var c) ? c : (0.0, 0L, 0.0, new double[Bounds.Count]);
                var offered = counter.Item1 + (RequestsPerSecond * elapsed * split.Percent / 100.0);
                var requests = (long)Math.Floor(offered + 1e-9) - counter.Item2;
                counter.Item4[BucketOf(behaviour.LatencyMs)] += requests * (1 - behaviour.SlowShare);
                counter.Item4[BucketOf(behaviour.SlowMs)] += requests * behaviour.SlowShare;
                _counters[revision.Name] = (offered, counter.Item2 + requests, counter.Item3 + (requests * behaviour.ErrorRate), counter.Item4);
            }
        }
    }

    private static int BucketOf(double ms) => Math.Max(0, Bounds.ToList().FindIndex(b => ms <= b));

    private string Create(string service, string image, string? tag, bool ready)
    {
        var name = $"{service}-{++_counter:00000}-abc";
        Get(service, create: true).Revisions.Add(new Revision(name, image, tag, ready));
        return name;
    }

    private RevisionInfo Info(string service, string name)
    {
        var s = Get(service);
        var r = s.Revisions.First(r => r.Name == name);
        return new RevisionInfo(r.Name, r.Image, r.Ready ? "ready" : "failed", r.Ready ? null : "never ready", r.Tag)
        {
            Percent = s.Traffic.FirstOrDefault(t => t.Revision == name)?.Percent ?? 0,
            Digest = DigestOf(r.Image),
        };
    }

    private Service Get(string service, bool create = false) =>
        _services.TryGetValue(service, out var found) ? found
            : create ? _services[service] = new Service() : throw new PlatformException($"no service {service}", 2);

    private void Check(string call)
    {
        lock (Calls)
        {
            Calls.Add(call);
        }

        if (Down is { } why)
        {
            throw new PlatformException(why);
        }
    }

    private sealed record Revision(string Name, string Image, string? Tag, bool Ready);

    private sealed class Service
    {
        public List<Revision> Revisions { get; } = [];

        public IReadOnlyList<TrafficAssignment> Traffic { get; set; } = [];

        /// <summary>Traffic tag → revision.</summary>
        public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>Maintenance as a platform would keep it, recording what the engine asked.</summary>
public sealed class TestMaintenance : IMaintenanceMode
{
    public List<string> Calls { get; } = [];

    public bool? Enabled { get; set; }

    /// <summary>Set to make applying maintenance fail with this message.</summary>
    public string? ApplyFails { get; set; }

    public Task<MaintenanceStarted> EnableAsync(ResolvedTarget target, string message, int retryAfterSeconds, CancellationToken cancellationToken)
    {
        Calls.Add($"enable {target.Service} {message} {retryAfterSeconds}");
        return Task.FromResult(new MaintenanceStarted("snapshot-1", "the test's vault"));
    }

    public Task DisableAsync(ResolvedTarget target, string? snapshot, CancellationToken cancellationToken)
    {
        Calls.Add($"disable {target.Service} {snapshot}");
        return Task.CompletedTask;
    }

    public Task<string?> ApplyAsync(ResolvedTarget target, CancellationToken cancellationToken)
    {
        Calls.Add($"apply {target.Service}");
        if (ApplyFails is { } why)
        {
            throw new PlatformException(why);
        }

        return Task.FromResult<string?>("http://127.0.0.1:1");
    }

    public Task<bool?> IsEnabledAsync(ResolvedTarget target, CancellationToken cancellationToken) => Task.FromResult(Enabled);
}
