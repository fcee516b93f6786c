using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace RolloutBench;

/// <summary>Constant load on loopback: workers sending requests back to back, each outcome timed and attributed to the revision that answered.</summary>
internal sealed class Load : IAsyncDisposable
{
    public const int Workers = 8;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = Workers }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Outcome> _outcomes = new();
    private readonly Task[] _workers;
    private readonly string _canary;

    /// <param name="canary">The canary revision's name: its answers carry it, and only it has faults switched on.</param>
    public Load(Uri url, string canary)
    {
        _canary = canary;
        _stop.CancelAfter(TimeSpan.FromMinutes(10)); // bounded whatever happens
        _workers = [.. Enumerable.Range(0, Workers).Select(_ => Task.Run(() => WorkAsync(url)))];
    }

    /// <param name="Failed">Requests answered with 5xx or not answered at all.</param>
    /// <param name="ReactionMs">From the first failed request to the last request the canary answered.</param>
    public sealed record Summary(long Total, long Failed, long CanaryTotal, double ReactionMs);

    private readonly record struct Outcome(long At, bool Ok, bool FromCanary);

    public async Task<Summary> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        var outcomes = _outcomes.ToArray();
        var failed = outcomes.Where(o => !o.Ok).ToList();
        var fromCanary = outcomes.Where(o => o.FromCanary).ToList();
        var reaction = failed.Count == 0 || fromCanary.Count == 0 ? 0 : Stopwatch.GetElapsedTime(failed.Min(f => f.At), fromCanary.Max(c => c.At)).TotalMilliseconds;
        return new Summary(outcomes.Length, failed.Count, fromCanary.Count, reaction);
    }

    private async Task WorkAsync(Uri url)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var response = await _http.GetAsync(url, _stop.Token);
                var body = await response.Content.ReadAsStringAsync(_stop.Token);
                var ok = response.StatusCode == HttpStatusCode.OK;
                // Injected failures come only from the canary; its good answers name it.
                _outcomes.Enqueue(new Outcome(Stopwatch.GetTimestamp(), ok, !ok || body.Contains(_canary, StringComparison.Ordinal)));
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException)
            {
                _outcomes.Enqueue(new Outcome(Stopwatch.GetTimestamp(), false, false));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        _http.Dispose();
        _stop.Dispose();
    }
}
