using System.Net;
using DeployMatrix.Core.Model;
using Yarp.ReverseProxy.Forwarder;

namespace DeployMatrix.Local.Proxy;

/// <summary>
/// An immutable assignment of 100 request slots to revisions by weight, interleaved by smooth weighted
/// round robin (as nginx does) so a 5% canary gets every 20th request rather than a burst of five.
/// Swapping a wheel is one reference write; requests already routed finish where they went.
/// </summary>
public sealed class TrafficWheel
{
    public static readonly TrafficWheel Empty = new([], []);

    private readonly int[] _slots;
    private long _counter;

    private TrafficWheel(RevisionEndpoint[] endpoints, int[] slots)
    {
        Endpoints = endpoints;
        _slots = slots;
    }

    public IReadOnlyList<RevisionEndpoint> Endpoints { get; }

    public IReadOnlyList<int> Percents => [.. Endpoints.Select((_, i) => _slots.Count(s => s == i))];

    /// <param name="splits">Endpoints with integer percents that sum to 100 (zero-percent entries are left out).</param>
    public static TrafficWheel Build(IReadOnlyList<(RevisionEndpoint Endpoint, int Percent)> splits)
    {
        var active = splits.Where(s => s.Percent > 0).ToArray();
        if (active.Length == 0)
        {
            return Empty;
        }

        if (active.Sum(s => s.Percent) != 100)
        {
            throw new ArgumentException("traffic percents must sum to 100", nameof(splits));
        }

        var slots = new int[100];
        var current = new int[active.Length];
        for (var slot = 0; slot < 100; slot++)
        {
            var best = 0;
            for (var i = 0; i < active.Length; i++)
            {
                current[i] += active[i].Percent;
                if (current[i] > current[best])
                {
                    best = i;
                }
            }

            current[best] -= 100;
            slots[slot] = best;
        }

        return new TrafficWheel([.. active.Select(s => s.Endpoint)], slots);
    }

    /// <summary>The endpoint for the next request, or null when no revision takes traffic.</summary>
    public RevisionEndpoint? Next()
    {
        if (_slots.Length == 0)
        {
            return null;
        }

        var n = Interlocked.Increment(ref _counter);
        return Endpoints[_slots[(int)(n % 100)]];
    }
}

/// <summary>
/// A running revision as the proxy sees it: where it listens, how it speaks, how long a request to it may
/// take, what it handled and what is in flight.
/// </summary>
public sealed class RevisionEndpoint
{
    private int _inFlight;

    /// <param name="requestTimeout">How long a request may take (default 300 s, Cloud Run's): past it the proxy cuts the exchange.</param>
    public RevisionEndpoint(string revision, int port, ServingProtocol protocol = ServingProtocol.Http1, TimeSpan? requestTimeout = null)
    {
        Revision = revision;
        Port = port;
        Protocol = protocol;
        RequestTimeout = requestTimeout ?? ServingPolicy.Default.RequestTimeout;
        Prefix = $"http://127.0.0.1:{port}";
        RequestConfig = new ForwarderRequestConfig
        {
            // HTTP/2 to an h2c revision is prior knowledge: exactly 2.0 over cleartext, never a downgrade.
            Version = protocol == ServingProtocol.H2c ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            // YARP's idle limit (100 s by default) would cut a slow answer the lane allows; the request timeout is the limit.
            ActivityTimeout = RequestTimeout,
            AllowResponseBuffering = false,
        };
    }

    public string Revision { get; }

    public int Port { get; }

    public ServingProtocol Protocol { get; }

    public TimeSpan RequestTimeout { get; }

    public string Prefix { get; }

    public RevisionMetrics Metrics { get; } = new();

    internal ForwarderRequestConfig RequestConfig { get; }

    public int InFlight => Volatile.Read(ref _inFlight);

    public void Enter() => Interlocked.Increment(ref _inFlight);

    public void Leave() => Interlocked.Decrement(ref _inFlight);
}
