using System.Net.Http.Headers;

namespace DeployMatrix.Engine.Rehearsal;

/// <summary>
/// Generated load for a rehearsal's rollout: GETs of one URL at a fixed rate (open loop: a request is sent on
/// time whether or not earlier ones answered, at most <see cref="MaxInFlight"/> at once), until stopped. Loopback
/// only: the URL is the scratch service's, on this machine.
/// </summary>
internal sealed class PacedLoad : IAsyncDisposable
{
    /// <summary>Requests in flight beyond this are not sent (counted as skipped): a stuck service must not pile up sockets.</summary>
    public const int MaxInFlight = 64;

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = MaxInFlight })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _sent, _answered, _failed, _skipped;
    private int _inFlight;

    /// <param name="perSecond">Requests per second, 1..2000.</param>
    public PacedLoad(Uri url, int perSecond, AuthenticationHeaderValue? authorization, TimeProvider time)
    {
        _loop = Task.Run(() => RunAsync(url, perSecond, authorization, time, _stop.Token));
    }

    /// <summary>What was sent and how it was answered: 2xx–4xx answered, 5xx or no answer failed.</summary>
    public string Summary => $"{Interlocked.Read(ref _sent)} requests sent, {Interlocked.Read(ref _answered)} answered below 500, {Interlocked.Read(ref _failed)} failed, {Interlocked.Read(ref _skipped)} not sent ({MaxInFlight} in flight)";

    private async Task RunAsync(Uri url, int perSecond, AuthenticationHeaderValue? authorization, TimeProvider time, CancellationToken ct)
    {
        var interval = TimeSpan.FromSeconds(1.0 / perSecond);
        var next = time.GetUtcNow();
        while (!ct.IsCancellationRequested)
        {
            if (Interlocked.Increment(ref _inFlight) > MaxInFlight)
            {
                Interlocked.Decrement(ref _inFlight);
                Interlocked.Increment(ref _skipped);
            }
            else
            {
                Interlocked.Increment(ref _sent);
                _ = SendAsync(url, authorization, ct);
            }

            next += interval;
            var wait = next - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, time, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task SendAsync(Uri url, AuthenticationHeaderValue? authorization, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = authorization;
            using var response = await Http.SendAsync(request, ct);
            if ((int)response.StatusCode >= 500)
            {
                Interlocked.Increment(ref _failed);
            }
            else
            {
                Interlocked.Increment(ref _answered);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Interlocked.Increment(ref _failed);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
