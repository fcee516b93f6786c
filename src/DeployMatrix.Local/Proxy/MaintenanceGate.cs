using System.Text;
using DeployMatrix.Core.Maintenance;

namespace DeployMatrix.Local.Proxy;

/// <summary>An answer the proxy gives itself instead of forwarding the request.</summary>
public sealed record ProxyAnswer(int Status, string Reason, IReadOnlyList<string> Headers, string Body);

/// <summary>
/// Maintenance mode in front of a service: health probes pass, the bypass endpoint trades the secret
/// token for a signed cookie, requests with a valid cookie pass, everything else gets a 503 with
/// Retry-After. Only consulted while maintenance is on, so the forwarding path stays untouched.
/// With no well-formed token (null: its file is missing or damaged) nobody gets through — the gate fails closed.
/// </summary>
/// <param name="token">The bypass token, or null when there is none usable.</param>
/// <param name="scope">The service's identity the cookie is signed for, <c>env/service</c>.</param>
public sealed class MaintenanceGate(string? token, string scope, string message, int retryAfterSeconds, TimeProvider time)
{
    private static readonly string[] Allowed = ["/healthz", "/readyz"];

    /// <summary>Null to forward the request; otherwise what to answer.</summary>
    public ProxyAnswer? Judge(ReadOnlySpan<byte> head)
    {
        var text = Encoding.Latin1.GetString(head);
        var lineEnd = text.IndexOf("\r\n", StringComparison.Ordinal);
        var requestLine = (lineEnd < 0 ? text : text[..lineEnd]).Split(' ');
        var target = requestLine.Length > 1 ? requestLine[1] : "/";
        var path = target.Split('?')[0];
        if (Allowed.Contains(path, StringComparer.Ordinal))
        {
            return null;
        }

        var headers = Headers(text, lineEnd);
        if (path == BypassCookie.Path)
        {
            return token is not null && BypassCookie.TokenMatches(token, headers.GetValueOrDefault(BypassCookie.TokenHeader.ToLowerInvariant()))
                ? new ProxyAnswer(204, "No Content", [$"set-cookie: {BypassCookie.SetCookie(BypassCookie.Issue(token, scope, time.GetUtcNow()))}", "cache-control: no-store"], "")
                : new ProxyAnswer(403, "Forbidden", ["cache-control: no-store"], "deploymatrix: wrong or missing bypass token\n");
        }

        if (token is not null && headers.TryGetValue("cookie", out var cookies) && BypassCookie.IsValid(token, scope, CookieValue(cookies), time.GetUtcNow()))
        {
            return null;
        }

        return new ProxyAnswer(503, "Service Unavailable", [$"retry-after: {retryAfterSeconds}", "cache-control: no-store"], message + "\n");
    }

    /// <summary>Header names (lower case) to values; repeated Cookie headers are joined as HTTP/2 does.</summary>
    private static Dictionary<string, string> Headers(string head, int from)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in head[(from + 2)..].Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var earlier) && name == "cookie" ? $"{earlier}; {value}" : value;
        }

        return headers;
    }

    private static string? CookieValue(string cookies) =>
        cookies.Split(';', StringSplitOptions.TrimEntries)
            .Where(c => c.StartsWith(BypassCookie.Name + "=", StringComparison.Ordinal))
            .Select(c => c[(BypassCookie.Name.Length + 1)..])
            .LastOrDefault();
}
