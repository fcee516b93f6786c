using System.Net;
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
    public static Task<string> GetAsync(Uri url, int expect, string? contains, AuthenticationHeaderValue? authorization, bool http2, CancellationToken ct) =>
        GetAsync(url, expect, contains, authorization, http2, whenRefused: null, answered: null, ct);

    /// <param name="whenRefused">
    /// Asked once, when the URL answers 401 or 403 to a request without credentials (a private Cloud Run service
    /// refusing an unauthenticated caller): the credentials to send again with, or null to keep the refusal.
    /// </param>
    /// <param name="answered">Told the request and its answer (status and the body's start), passing or not, for the receipt.</param>
    public static async Task<string> GetAsync(Uri url, int expect, string? contains, AuthenticationHeaderValue? authorization, bool http2,
        Func<CancellationToken, Task<AuthenticationHeaderValue?>>? whenRefused, Action<SmokeAnswer>? answered, CancellationToken ct)
    {
        var request = $"GET {url}";
        try
        {
            using var response = await RefusedOnceAsync(url, authorization, http2, expect, whenRefused, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            answered?.Invoke(new SmokeAnswer(request, expect, (int)response.StatusCode, body.Length > SmokeAnswer.BodyChars ? body[..SmokeAnswer.BodyChars] + "…" : body)
            {
                Passed = (int)response.StatusCode == expect && (contains is null || body.Contains(contains, StringComparison.Ordinal)),
            });
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
            answered?.Invoke(new SmokeAnswer(request, expect, null, $"no answer: {e.Message}"));
            throw new PlatformException($"smoke check GET {url} failed: {e.Message}");
        }
    }

    /// <summary>The answer; a 401 or 403 to a request without credentials is asked again once with what <paramref name="whenRefused"/> gives.</summary>
    private static async Task<HttpResponseMessage> RefusedOnceAsync(Uri url, AuthenticationHeaderValue? authorization, bool http2, int expect,
        Func<CancellationToken, Task<AuthenticationHeaderValue?>>? whenRefused, CancellationToken ct)
    {
        var response = await SendAsync(url, authorization, http2, ct);
        if (response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) || authorization is not null || expect is 401 or 403 || whenRefused is null)
        {
            return response;
        }

        AuthenticationHeaderValue? credentials;
        using (response)
        {
            credentials = await whenRefused(ct);
            if (credentials is null)
            {
                throw new PlatformException($"smoke check GET {url.AbsolutePath} answered {(int)response.StatusCode}, expected {expect}: the service lets in only callers with credentials");
            }
        }

        return await SendAsync(url, credentials, http2, ct);
    }

    private static async Task<HttpResponseMessage> SendAsync(Uri url, AuthenticationHeaderValue? authorization, bool http2, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = authorization;
        if (http2)
        {
            request.Version = System.Net.HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return await Http.SendAsync(request, ct);
    }
}

/// <summary>A smoke check's request and the answer it got, as the receipt and the deploy report show them.</summary>
/// <param name="Status">The answer's HTTP status; null when none came.</param>
/// <param name="Body">The body's first <see cref="BodyChars"/> characters (secrets redacted before it is stored), or why there was no answer.</param>
public sealed record SmokeAnswer(string Request, int Expect, int? Status, string Body)
{
    /// <value>A receipt keeps the first 200 characters of a smoke answer's body.</value>
    public const int BodyChars = 200;

    /// <summary>The answer was what the check expected.</summary>
    public bool Passed { get; init; }
}
