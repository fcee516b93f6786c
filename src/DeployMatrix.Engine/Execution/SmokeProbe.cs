using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Execution;

/// <summary>A smoke check's one request: GET the URL, expect a status and optionally a piece of the body.</summary>
public static class SmokeProbe
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    public static async Task<string> GetAsync(Uri url, int expect, string? contains, CancellationToken ct)
    {
        try
        {
            using var response = await Http.GetAsync(url, ct);
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
