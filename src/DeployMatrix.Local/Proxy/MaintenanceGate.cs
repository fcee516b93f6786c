using DeployMatrix.Core.Maintenance;
using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Local.Proxy;

/// <summary>An answer the proxy gives itself instead of forwarding the request.</summary>
public sealed record ProxyAnswer(int Status, IReadOnlyList<(string Name, string Value)> Headers, string Body);

/// <summary>
/// Maintenance mode in front of a service: health probes pass, the bypass endpoint trades the secret
/// token for a signed cookie, requests with a valid cookie pass, everything else gets a 503 with
/// Retry-After. Only consulted while maintenance is on, so the forwarding path stays untouched.
/// With no well-formed token (null: its file is missing or damaged) nobody gets through — the gate fails closed.
/// </summary>
/// <remarks>
/// It judges the request as Kestrel parsed it — the path YARP forwards is built from the same
/// <see cref="HttpRequest.Path"/> — so the gate and the revision can never read two different requests.
/// </remarks>
/// <param name="token">The bypass token, or null when there is none usable.</param>
/// <param name="scope">The service's identity the cookie is signed for, <c>env/service</c>.</param>
public sealed class MaintenanceGate(string? token, string scope, string message, int retryAfterSeconds, TimeProvider time)
{
    private static readonly (string, string) NoStore = ("Cache-Control", "no-store");

    /// <summary>Null to forward the request; otherwise what to answer.</summary>
    public ProxyAnswer? Judge(HttpRequest request)
    {
        var path = request.Path.Value;
        if (path is "/healthz" or "/readyz")
        {
            return null;
        }

        if (path == BypassCookie.Path)
        {
            return token is not null && BypassCookie.TokenMatches(token, request.Headers[BypassCookie.TokenHeader].ToString())
                ? new ProxyAnswer(204, [("Set-Cookie", BypassCookie.SetCookie(BypassCookie.Issue(token, scope, time.GetUtcNow()))), NoStore], "")
                : new ProxyAnswer(403, [NoStore], "deploymatrix: wrong or missing bypass token\n");
        }

        if (token is not null && CookieValue(request.Headers.Cookie) is { } cookie && BypassCookie.IsValid(token, scope, cookie, time.GetUtcNow()))
        {
            return null;
        }

        return new ProxyAnswer(503, [("Retry-After", retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)), NoStore], message + "\n");
    }

    /// <summary>The last bypass cookie among every Cookie field (HTTP/2 clients send one field per cookie).</summary>
    private static string? CookieValue(Microsoft.Extensions.Primitives.StringValues fields) =>
        fields.SelectMany(f => (f ?? "").Split(';', StringSplitOptions.TrimEntries))
            .Where(c => c.StartsWith(BypassCookie.Name + "=", StringComparison.Ordinal))
            .Select(c => c[(BypassCookie.Name.Length + 1)..])
            .LastOrDefault();
}
