using System.Net.Http.Headers;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;

namespace RolloutBench.Simulation;

/// <summary>How a simulated revision answers: a share of failures, and latencies log-normal around a median (ms).</summary>
/// <param name="Sigma">The spread of ln(latency): 0.5 puts p95 at 2.3× the median and p99 at 3.2×.</param>
internal sealed record Behaviour(double ErrorRate, double MedianMs, double Sigma);

/// <summary>One revision's cumulative counters, as the proxy keeps them.</summary>
internal sealed class Counters(int buckets)
{
    public long Requests { get; set; }

    public long Failed { get; set; }

    public long[] Histogram { get; } = new long[buckets];

    /// <summary>When its first request failed (null: none yet).</summary>
    public DateTimeOffset? FirstFailedAt { get; set; }
}

/// <summary>
/// The platform port with generated traffic, for the rollout runner on a fake clock: requests arrive as a Poisson
/// stream at <paramref name="perSecond"/>, each goes to a revision with its share of the split at that instant (drawn
/// at random, as a weighted proxy does on average), fails and takes as long as the revision's <see cref="Behaviour"/>
/// draws, and lands in the local proxy's latency buckets. Seeded: the same seed gives the same requests.
/// </summary>
internal sealed class SimulatedPlatform(TimeProvider time, int seed, double perSecond, IReadOnlyDictionary<string, Behaviour> behaviours) : IPlatform
{
    private static readonly double[] Bounds = [.. DeployMatrix.Local.Proxy.RevisionMetrics.BucketBoundsMs];
    private readonly Random _random = new(seed);
    private readonly Dictionary<string, Counters> _counters = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _origin = time.GetUtcNow();
    private IReadOnlyList<TrafficAssignment> _traffic = [];
    private double _nextArrival;

    /// <summary>Every split set, with when.</summary>
    public List<(DateTimeOffset At, IReadOnlyList<TrafficAssignment> Split)> Splits { get; } = [];

    public Counters Of(string revision) => _counters.TryGetValue(revision, out var c) ? c : _counters[revision] = new Counters(Bounds.Length + 1);

    /// <summary>The simulation has no domain mappings: the mapping does not apply.</summary>
    public Task<DomainMapping> GetDomainMappingAsync(ResolvedTarget target, CancellationToken cancellationToken) =>
        Task.FromResult(new DomainMapping(target.Domain ?? "", false, false, null, target.Service, null, null, null));

    /// <summary>The simulation writes no logs: nothing matches.</summary>
    public Task<LogReadout> ReadLogsAsync(ResolvedTarget target, LogQuery query, CancellationToken cancellationToken) =>
        Task.FromResult(new LogReadout(0, [], "the simulation (it writes no logs)"));

    public MetricsCadence MetricsCadence => MetricsCadence.Live;

    public PlatformKind Kind => PlatformKind.Local;

    public Task SetTrafficAsync(ResolvedTarget target, IReadOnlyList<TrafficAssignment> splits, CancellationToken cancellationToken)
    {
        Generate();
        _traffic = splits;
        Splits.Add((time.GetUtcNow(), splits));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, RevisionSample>> GetRevisionMetricsAsync(ResolvedTarget target, DateTimeOffset until, CancellationToken cancellationToken) =>
        Task.FromResult(Samples());

    /// <summary>Every revision's counters now, after the requests that arrived until now.</summary>
    public IReadOnlyDictionary<string, RevisionSample> Samples()
    {
        Generate();
        return _counters.ToDictionary(c => c.Key, c => new RevisionSample(c.Key, c.Value.Requests, c.Value.Failed, [.. c.Value.Histogram], Bounds), StringComparer.Ordinal);
    }

    /// <summary>The requests that arrived since the last call, under the split that stood meanwhile.</summary>
    private void Generate()
    {
        var now = (time.GetUtcNow() - _origin).TotalSeconds;
        var total = _traffic.Sum(t => t.Percent);
        while (_nextArrival < now)
        {
            if (total > 0)
            {
                Answer(_nextArrival);
            }

            _nextArrival += -Math.Log(1 - _random.NextDouble()) / perSecond;
        }
    }

    private void Answer(double at)
    {
        var pick = _random.NextDouble() * 100;
        var assignment = _traffic.First(t => (pick -= t.Percent) < 0 || t == _traffic[^1]);
        var behaviour = behaviours[assignment.Revision];
        var counters = Of(assignment.Revision);
        counters.Requests++;
        if (_random.NextDouble() < behaviour.ErrorRate)
        {
            counters.Failed++;
            counters.FirstFailedAt ??= _origin + TimeSpan.FromSeconds(at);
            return;
        }

        // Box-Muller: a standard normal, then the log-normal latency.
        var normal = Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
        var ms = behaviour.MedianMs * Math.Exp(behaviour.Sigma * normal);
        var index = Array.BinarySearch(Bounds, ms);
        counters.Histogram[index >= 0 ? index : ~index]++;
    }

    // The rollout runner touches only the split and the metrics; the rest of the port is not simulated.
    public IMaintenanceMode Maintenance => throw new NotSupportedException();

    public Task<string> ResolveImageAsync(ResolvedTarget target, string image, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<RevisionInfo> DeployRevisionAsync(ResolvedTarget target, string image, string? tag, bool noTraffic, string? trafficTag, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ServiceStatus> GetServiceAsync(ResolvedTarget target, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IReadOnlyList<string>> MissingPermissionsAsync(ResolvedTarget target, IReadOnlyList<string> servicePermissions, string? job, IReadOnlyList<string> jobPermissions, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IReadOnlyDictionary<string, DeployMatrix.Core.Preflight.EnvSource>> NewRevisionEnvAsync(ResolvedTarget target, CancellationToken cancellationToken) => throw new NotSupportedException();

    public string HowToSet(ResolvedTarget target, DeployMatrix.Core.Model.Requirement requirement) => throw new NotSupportedException();

    public Task RemoveTrafficTagsAsync(ResolvedTarget target, IReadOnlyList<string> tags, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task UpdateJobImageAsync(ResolvedTarget target, string job, string image, string? entrypoint, IReadOnlyList<string> args, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<string?> GetJobImageAsync(ResolvedTarget target, string job, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<JobExecution> ExecuteJobAsync(ResolvedTarget target, string job, IReadOnlyList<string> command, JobRun jobRun, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<JobExecution?> GetLatestExecutionAsync(ResolvedTarget target, string job, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<Uri> UrlAsync(ResolvedTarget target, string? revision, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<AuthenticationHeaderValue?> InvokerCredentialsAsync(ResolvedTarget target, Uri url, CancellationToken cancellationToken) => throw new NotSupportedException();
}
