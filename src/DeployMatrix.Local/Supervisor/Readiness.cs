using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.Local.Supervisor;

/// <summary>Polls a revision's readiness path until it answers 2xx, the process exits, or time runs out.</summary>
public static class Readiness
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(1) }) { Timeout = TimeSpan.FromSeconds(2) };

    /// <returns>null when ready, else why not.</returns>
    /// <param name="protocol">How the revision speaks: an h2c revision is asked with HTTP/2 by prior knowledge.</param>
    public static async Task<string?> WaitAsync(ChildProcess process, int port, string probe, ServingProtocol protocol, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var result = await PollAsync(process, port, probe, protocol, timeout, time, cancellationToken);
        // The last probe may have completed on a socket event thread (the agent runs with inline
        // completions); the caller's blocking work (SQLite, process starts) belongs on the thread pool.
        await Task.Yield();
        return result;
    }

    private static async Task<string?> PollAsync(ChildProcess process, int port, string probe, ServingProtocol protocol, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + timeout;
        string last = "no answer yet";
        while (time.GetUtcNow() < deadline)
        {
            if (process.HasExited)
            {
                return $"the process exited with code {await process.Exited} before it was ready";
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{port}{probe}"));
                if (protocol == ServingProtocol.H2c)
                {
                    request.Version = System.Net.HttpVersion.Version20;
                    request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
                }

                using var response = await Client.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return null;
                }

                last = $"{probe} answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = $"{probe} timed out";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }

        return $"not ready after {timeout.TotalSeconds:0}s ({last})";
    }
}
