using System.Collections.Concurrent;
using System.Net;

namespace DeployMatrix.Tests.Support;

/// <summary>
/// A bounded constant load on loopback: a few workers sending requests back to back until stopped, or, with a rate,
/// paced as real traffic arrives (open loop).
/// </summary>
/// <remarks>
/// Back-to-back workers saturate a small machine's cores; then a revision with a few percent of the traffic waits
/// for a core on every request (its threads sleep between requests, the stable revision's never do) and looks
/// slower than it is. A paced load leaves the cores headroom, so latency comparisons measure the revisions.
/// </remarks>
public sealed class LoadClient : IAsyncDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 16 }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private long _ok;

    /// <param name="perSecond">Requests per second over all workers; null sends back to back.</param>
    public LoadClient(Uri url, int workers, TimeSpan limit, int? perSecond = null)
    {
        _stop.CancelAfter(limit);
        var pause = perSecond is { } rate ? TimeSpan.FromSeconds(workers / (double)rate) : (TimeSpan?)null;
        _workers = [.. Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(url, pause)))];
    }

    public long Ok => Interlocked.Read(ref _ok);

    public ConcurrentQueue<string> Failures { get; } = new();

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    private async Task WorkAsync(Uri url, TimeSpan? pause)
    {
        using var pace = pause is { } every ? new PeriodicTimer(every) : null;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                if (pace is not null && !await pace.WaitForNextTickAsync(_stop.Token))
                {
                    return;
                }

                using var response = await _http.GetAsync(url, _stop.Token);
                var body = await response.Content.ReadAsStringAsync(_stop.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref _ok);
                }
                else
                {
                    Failures.Enqueue($"{(int)response.StatusCode}: {body}");
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException e)
            {
                Failures.Enqueue(e.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
        _stop.Dispose();
    }
}
