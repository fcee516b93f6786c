using System.Diagnostics.Metrics;
using DeployMatrix.Engine.Telemetry;
using DeployMatrix.Local.Proxy;

namespace DeployMatrix.Local.Agent;

/// <summary>
/// The agent's per-revision metrics, as OpenTelemetry instruments (meter <see cref="MeterName"/>). They are observable:
/// each collection (a <c>/metrics</c> scrape, an OTLP export) reads the proxy's own counters (<see cref="RevisionMetrics"/>),
/// the ones the rollout analysis compares, so the proxy's hot path records nothing twice and exported figures are the
/// analysis's figures. Counters start at 0 when a revision's process starts (a reset Prometheus' <c>rate()</c> handles).
/// </summary>
/// <remarks>
/// Every instrument carries <c>deploymatrix.environment</c>, <c>deploymatrix.service</c> and <c>deploymatrix.revision</c>:
/// <list type="bullet">
/// <item><c>deploymatrix.proxy.requests</c> (counter, <c>{request}</c>), by <c>status_class</c> (<c>2xx</c> … <c>5xx</c>, and
/// <c>proxy_error</c> when the revision gave no answer: refused, reset or timed out).</item>
/// <item><c>deploymatrix.proxy.errors</c> (counter, <c>{request}</c>): failed requests as the analysis counts them (5xx and proxy errors).</item>
/// <item><c>deploymatrix.proxy.latency</c> (gauge, <c>ms</c>), by <c>quantile</c> (0.5, 0.95, 0.99): time to the response head of
/// request/response exchanges since the revision started, as a bucket's upper bound (buckets about 10% apart).</item>
/// <item><c>deploymatrix.proxy.in_flight</c> (up-down counter, <c>{request}</c>): exchanges the revision is serving now.</item>
/// </list>
/// No attribute carries a value from a request or the revision's environment: nothing secret can be exported.
/// </remarks>
internal sealed class AgentMetrics : IDisposable
{
    /// <summary>The meter exporters subscribe to (OpenTelemetry's <c>AddMeter("DeployMatrix.Agent")</c>).</summary>
    public const string MeterName = "DeployMatrix.Agent";

    private static readonly (string Class, Func<MetricsSnapshot, long> Count)[] Classes =
    [
        ("2xx", s => s.Status2xx), ("3xx", s => s.Status3xx), ("4xx", s => s.Status4xx), ("5xx", s => s.Status5xx), ("proxy_error", s => s.ProxyErrors),
    ];

    private readonly Meter _meter;

    /// <param name="endpoints">The running revisions' endpoints with what they serve, read at each collection.</param>
    public AgentMetrics(Func<IEnumerable<(string Env, string Service, RevisionEndpoint Endpoint)>> endpoints)
    {
        _meter = new Meter(MeterName, typeof(AgentMetrics).Assembly.GetName().Version?.ToString());
        _meter.CreateObservableCounter("deploymatrix.proxy.requests", () => Read<long>(endpoints, (s, tags) =>
            Classes.Select(c => new Measurement<long>(c.Count(s), [.. tags, new("status_class", c.Class)]))),
            "{request}", "Requests the proxy sent to the revision, by status class of the answer.");
        _meter.CreateObservableCounter("deploymatrix.proxy.errors", () => Read<long>(endpoints, (s, tags) => [new Measurement<long>(s.Failed, tags)]),
            "{request}", "Failed requests as the rollout analysis counts them: 5xx answers and requests the revision did not answer.");
        _meter.CreateObservableGauge("deploymatrix.proxy.latency", () => Read<double>(endpoints, (s, tags) =>
            [new Measurement<double>(s.P50Ms, [.. tags, new("quantile", "0.5")]), new Measurement<double>(s.P95Ms, [.. tags, new("quantile", "0.95")]),
             new Measurement<double>(s.P99Ms, [.. tags, new("quantile", "0.99")])]),
            "ms", "Time to the response head of request/response exchanges since the revision started, at a quantile (bucket upper bound).");
        _meter.CreateObservableUpDownCounter("deploymatrix.proxy.in_flight", () => endpoints().Select(e =>
            new Measurement<long>(e.Endpoint.InFlight, Tags(e.Env, e.Service, e.Endpoint.Revision))),
            "{request}", "Exchanges the revision is serving now.");
    }

    public void Dispose() => _meter.Dispose();

    private static List<Measurement<T>> Read<T>(Func<IEnumerable<(string Env, string Service, RevisionEndpoint Endpoint)>> endpoints,
        Func<MetricsSnapshot, KeyValuePair<string, object?>[], IEnumerable<Measurement<T>>> measure)
        where T : struct =>
        endpoints().SelectMany(e => measure(e.Endpoint.Metrics.Snapshot(), Tags(e.Env, e.Service, e.Endpoint.Revision))).ToList();

    private static KeyValuePair<string, object?>[] Tags(string env, string service, string revision) =>
    [
        new(Tracing.Attributes.Environment, env), new(Tracing.Attributes.Service, service), new(Tracing.Attributes.Revision, revision),
    ];
}
