using System.Net.Http.Headers;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Execution;

/// <summary>A smoke check's one request: GET the URL, expect a status and optionally a piece of the body.</summary>
public static class SmokeProbe
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    /// <param name="authorization">
    /// What the platform wants of a caller (<see cref="IPlatform.InvokerCredentialsAsync"/>), or null. It is
    /// sent in this request's header only — never logged or reported — and .NET drops it on a redirect.
    /// </param>
    /// <param name="http2">Ask with HTTP/2 only (an h2c revision, <c>serving.protocol: h2c</c>, speaks nothing else).</param>
    public static async Task<string> GetAsync(Uri url, int expect, string? contains, AuthenticationHeaderValue? authorization, bool http2, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = authorization;
            if (http2)
            {
                request.Version = System.Net.HttpVersion.Version20;
                request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            }

            using var response = await Http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if ((int)response.StatusCode != expect)
            {
                throw new PlatformException($"smoke check GET {url.AbsolutePath} answered {(int)response.StatusCode}, expected {expect}");
            }

            if (contains is not null && !body.Contains(contains, StringComparison.Ordinal))
            {
                throw new PlatformException($"smoke check GET {url.AbsolutePath} answered without '{contains}'");
            }

            return $"GET {url.AbsolutePath} → {(int)response.StatusCode}";
        }
        catch (HttpRequestException e)
        {
            throw new PlatformException($"smoke check GET {url} failed: {e.Message}");
        }
    }
}
