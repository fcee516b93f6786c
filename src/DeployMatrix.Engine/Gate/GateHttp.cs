using DeployMatrix.Core.Model;

namespace DeployMatrix.Engine.Gate;

/// <summary>The HTTP side the endpoint checks share: where an endpoint is, sending without redirects, logging an answer.</summary>
internal static class GateHttp
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public static string Describe(HttpEndpoint endpoint) => endpoint.Url ?? $"{endpoint.Lane} ({endpoint.Env}) {endpoint.Path}";

    /// <summary>The endpoint's URL: as written, or the lane's service URL on the platform plus the path.</summary>
    public static async Task<Uri> UrlAsync(HttpEndpoint endpoint, CheckContext context, CancellationToken ct)
    {
        if (endpoint.Url is { } url)
        {
            return new Uri(url);
        }

        if (context.Platform is null)
        {
            throw new CheckSkipped($"no platform to find {endpoint.Lane} ({endpoint.Env}) on");
        }

        var target = context.TargetOf(endpoint.Lane!, endpoint.Env!);
        try
        {
            return new Uri(await context.Platform.UrlAsync(target, null, ct), endpoint.Path);
        }
        catch (Platform.PlatformException e)
        {
            throw new CheckSkipped($"cannot reach {endpoint.Lane} ({endpoint.Env}): {e.Message}");
        }
    }

    /// <exception cref="CheckFailed">No answer (refused, timed out, TLS).</exception>
    public static async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CheckContext context, CancellationToken ct, HttpCompletionOption option = HttpCompletionOption.ResponseContentRead)
    {
        try
        {
            return await Http.SendAsync(request, option, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CheckFailed($"{request.RequestUri} did not answer: {context.Redactor.Apply(e.Message)}");
        }
    }

    public static void LogResponse(HttpResponseMessage response, string body, CheckContext context)
    {
        context.Log($"HTTP {(int)response.StatusCode}");
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            context.Log($"{name}: {string.Join(", ", values)}");
        }

        context.Log("");
        context.Log(body.Length > 4000 ? body[..4000] + "\n…" : body);
    }
}
