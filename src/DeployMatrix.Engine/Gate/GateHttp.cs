using System.Net.Http.Headers;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Text;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Gate;

/// <summary>The HTTP side the endpoint checks share: where an endpoint is, sending without redirects, logging an answer.</summary>
internal static class GateHttp
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public static string Describe(HttpEndpoint endpoint) => endpoint.Url ?? $"{endpoint.Lane} ({endpoint.Where}) {endpoint.Path}";

    /// <summary>
    /// The endpoint's URL: as written, or the lane's service on the platform plus the path — a pinned revision's own
    /// URL (<see cref="CheckContext.RevisionOf"/>), else the target's domain when its mapping is ready, else the
    /// service's URL (<see cref="ServiceAddress"/>, kept in <see cref="CheckContext.Address"/>).
    /// </summary>
    public static async Task<Uri> UrlAsync(HttpEndpoint endpoint, CheckContext context, CancellationToken ct)
    {
        if (endpoint.Url is { } url)
        {
            return new Uri(url);
        }

        var address = await AddressAsync(endpoint.Lane!, endpoint.Env!, endpoint.Region, context, ct);
        return OnService(address.Base, endpoint.Path!);
    }

    /// <summary>
    /// Where a check reaches the lane's service (kept in <see cref="CheckContext.Address"/>): a pinned revision's own
    /// URL, else its domain once the mapping is ready, else the service's URL.
    /// </summary>
    /// <exception cref="CheckSkipped">No platform, or it cannot say where the service is.</exception>
    public static async Task<ServiceAddress> AddressAsync(string lane, string env, string? region, CheckContext context, CancellationToken ct)
    {
        var where = region is null ? env : $"{env}, {region}";
        if (context.Platform is null)
        {
            throw new CheckSkipped($"no platform to find {lane} ({where}) on");
        }

        var target = context.TargetOf(lane, env, region);
        try
        {
            context.Address = await ServiceAddress.OfAsync(context.Platform, target, context.RevisionOf(target), ct);
        }
        catch (PlatformException e)
        {
            throw new CheckSkipped($"cannot reach {lane} ({where}): {e.Message}");
        }

        if (context.Address.Mapping is not null)
        {
            context.Log($"domain {context.Address.Mapping.Domain}: {context.Address.Mapping.Status}; checking {context.Address.Via}");
        }

        return context.Address;
    }

    /// <summary>
    /// Where an invoker's credentials go when the request carries a bearer token of its own: Cloud Run
    /// checks an ID token in this header instead of <c>Authorization</c>, and hands <c>Authorization</c> to
    /// the service (Cloud Run, "Authenticating service-to-service"; GoogleCloudPlatform/cloud-run-proxy#25).
    /// </summary>
    public const string ServerlessAuthorization = "X-Serverless-Authorization";

    /// <summary>
    /// What the lane's platform wants of a caller of <paramref name="url"/> (a private Cloud Run service's
    /// ID token, see <see cref="IPlatform.InvokerCredentialsAsync"/>), or null: for an endpoint written as a
    /// URL (the platform vouches only for its own services) and for a service that lets anyone in. The
    /// value joins the redactor, so a service that echoes it shows *** in the check's log.
    /// </summary>
    /// <exception cref="CheckSkipped">The service requires credentials that cannot be made here (the reason names the fix).</exception>
    public static async Task<AuthenticationHeaderValue?> InvokerAsync(HttpEndpoint endpoint, Uri url, CheckContext context, CancellationToken ct)
    {
        if (endpoint.Url is not null || context.Platform is null)
        {
            return null;
        }

        AuthenticationHeaderValue? invoker;
        try
        {
            // Via a domain the token is still made for the service's own URL: the mapping routes to that service.
            invoker = await context.Platform.InvokerCredentialsAsync(context.TargetOf(endpoint.Lane!, endpoint.Env!, endpoint.Region), context.Address?.CredentialsUrl(url) ?? url, ct);
        }
        catch (PlatformException e)
        {
            throw new CheckSkipped(e.Message);
        }

        if (invoker?.Parameter is { } secret)
        {
            context.Redactor.Add(secret);
        }

        return invoker;
    }

    /// <summary>
    /// Puts an invoker's credentials on a request: in <c>Authorization</c>, or in <see cref="ServerlessAuthorization"/>
    /// when the check sends a bearer token of its own (<c>token-env</c>) for the service to read.
    /// </summary>
    public static void Authorize(HttpRequestMessage request, AuthenticationHeaderValue? invoker)
    {
        if (invoker is null)
        {
            return;
        }

        if (request.Headers.Authorization is null)
        {
            request.Headers.Authorization = invoker;
        }
        else
        {
            request.Headers.Add(ServerlessAuthorization, invoker.ToString());
        }
    }

    /// <summary>
    /// The path on the service's own scheme and host. Resolved as a URI reference (RFC 3986 §5.2) a path
    /// such as <c>//other:8080/x</c> names another host — and a bearer token would follow it there — so
    /// anything that leaves the service is refused.
    /// </summary>
    /// <exception cref="CheckFailed">The path leads off the service.</exception>
    internal static Uri OnService(Uri service, string path)
    {
        var url = new Uri(service, path);
        return url.Scheme == service.Scheme && url.Authority == service.Authority
            ? url
            : throw new CheckFailed($"path '{UntrustedText.OneLine(path)}' leads to {url.GetLeftPart(UriPartial.Authority)}, not to the service at {service.GetLeftPart(UriPartial.Authority)}; a path must stay on the lane's service");
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

    /// <summary>
    /// The answer in the check's log: status, headers and the body's first 4000 characters. Headers that
    /// can carry a credential (<c>Set-Cookie</c>, anything naming a token, key, secret or authorization)
    /// are named but their values dropped; the body is redacted before it is cut, so no part of a known
    /// secret survives the cut.
    /// </summary>
    public static void LogResponse(HttpResponseMessage response, string body, CheckContext context)
    {
        context.Log($"HTTP {(int)response.StatusCode}");
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            context.Log(CarriesCredential(name) ? $"{name}: (value not logged: it may carry a credential)" : $"{name}: {string.Join(", ", values)}");
        }

        context.Log("");
        context.LogBlock(body, 4000);
    }

    /// <summary>Whether a header's value may be a credential (RFC 6265 cookies, RFC 9110 §11 authorization, vendors' token and key headers).</summary>
    internal static bool CarriesCredential(string header)
    {
        var name = header.ToLowerInvariant();
        return name is "set-cookie" or "set-cookie2" or "cookie" or "authorization" or "proxy-authorization" or "authentication-info" or "proxy-authentication-info"
            || name.Contains("token", StringComparison.Ordinal) || name.Contains("secret", StringComparison.Ordinal)
            || name.Contains("api-key", StringComparison.Ordinal) || name.Contains("apikey", StringComparison.Ordinal) || name.Contains("session", StringComparison.Ordinal);
    }
}
