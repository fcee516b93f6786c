using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>A request a deployed service received: what it carried, and whom the double let in (null: nobody proven).</summary>
public sealed record AppRequest(string Method, string Path, string? Authorization, string? ServerlessAuthorization, string? Invoker, int? Refused);

/// <summary>
/// Who may invoke a service, decided as Cloud Run decides it, and the ID tokens that prove who calls.
/// <list type="bullet">
/// <item>A service lets anyone in when its invoker IAM check is off (<c>Service.invokerIamDisabled</c>) or its
/// IAM policy (<c>Services.GetIamPolicy</c>) grants <c>roles/run.invoker</c> to <c>allUsers</c> — as
/// <see cref="AddService"/> leaves it, the way <c>gcloud run deploy --allow-unauthenticated</c> does
/// (https://cloud.google.com/run/docs/authenticating/public).</item>
/// <item>Otherwise (<see cref="MakePrivate"/>) a request needs a Google-signed ID token — here signed with the
/// double's own key — whose audience is the service's URL (or another of its URLs, or a custom audience),
/// not expired, of a principal holding <c>roles/run.invoker</c>; Cloud Run reads it from
/// <c>X-Serverless-Authorization</c> when that is sent, else from <c>Authorization</c>
/// (https://cloud.google.com/run/docs/authenticating/service-to-service, GoogleCloudPlatform/cloud-run-proxy#25).
/// Anything else is answered 403, as Cloud Run answers a client without permission.</item>
/// </list>
/// The token endpoint mints those ID tokens for a service-account key's JWT bearer grant that asks for a
/// <c>target_audience</c> instead of scopes, as Google's does (https://developers.google.com/identity/protocols/oauth2/service-account).
/// </summary>
public sealed partial class CloudRunDouble
{
    public const string InvokerRole = "roles/run.invoker";

    /// <summary>What Google's token endpoint expects as the audience of an assertion asking for an ID token.</summary>
    private const string OidcTokenUrl = "https://oauth2.googleapis.com/token";

    private readonly RSA _idTokenKey = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, string[]> _invokers = new(StringComparer.Ordinal);

    /// <summary>Every ID token the token endpoint minted, in order (for tests to look for where none may be).</summary>
    public ConcurrentQueue<string> IdTokensMinted { get; } = new();

    /// <summary>Every request the deployed services received, in order.</summary>
    public ConcurrentQueue<AppRequest> AppRequests { get; } = new();

    /// <summary>Requires authentication of a service: <c>roles/run.invoker</c> is held by <paramref name="invokers"/> only (e.g. <c>serviceAccount:deployer@p.iam.gserviceaccount.com</c>).</summary>
    public void MakePrivate(string service, params string[] invokers) => _invokers[service] = invokers;

    /// <summary>Turns the service's invoker IAM check off (<c>--no-invoker-iam-check</c>): anyone may call it, whatever its policy says.</summary>
    public void DisableInvokerIamCheck(string service) => _services[service]["invokerIamDisabled"] = true;

    private string[] Invokers(string service) => _invokers.TryGetValue(service, out var members) ? members : ["allUsers"];

    /// <summary>The service's IAM policy (google.iam.v1.Policy): its one <c>roles/run.invoker</c> binding, if any member holds it.</summary>
    private JsonObject? GetServicePolicy(string service)
    {
        if (!_services.ContainsKey(service))
        {
            return null;
        }

        var members = Invokers(service);
        var bindings = members.Length == 0
            ? new JsonArray()
            : new JsonArray(new JsonObject { ["role"] = InvokerRole, ["members"] = new JsonArray([.. members.Select(m => (JsonNode?)m)]) });
        return new JsonObject
        {
            ["version"] = 1,
            ["bindings"] = bindings,
            ["etag"] = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(bindings.ToJsonString()))[..8]),
        };
    }

    /// <summary>
    /// The token endpoint's answer to a JWT bearer grant that names a <c>target_audience</c>: an ID token for the
    /// assertion's service account (its <c>iss</c>), for that audience, valid an hour on <see cref="Clock"/>.
    /// Google answers such a grant with the ID token alone.
    /// </summary>
    private async Task MintIdTokenAsync(HttpContext context, JsonElement assertion)
    {
        var audience = assertion.GetProperty("target_audience").GetString();
        var account = assertion.TryGetProperty("iss", out var iss) ? iss.GetString() : null;
        if (string.IsNullOrEmpty(audience) || string.IsNullOrEmpty(account) || !assertion.TryGetProperty("aud", out var aud) || aud.GetString() != OidcTokenUrl)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = "invalid_grant", error_description = $"Invalid JWT: the assertion needs an issuer, a target_audience and the audience {OidcTokenUrl}." });
            return;
        }

        var token = IdToken(account, audience);
        IdTokensMinted.Enqueue(token);
        await context.Response.WriteAsJsonAsync(new { id_token = token });
    }

    /// <summary>
    /// gcloud's OAuth client, the audience of the ID token <c>gcloud auth print-identity-token</c> prints for a
    /// logged-in account; Cloud Run accepts it from a principal holding the invoker role ("Authenticating developers").
    /// </summary>
    public const string GcloudClientId = "32555940559.apps.googleusercontent.com";

    /// <summary>What <c>gcloud auth print-identity-token</c> prints when <paramref name="email"/> is logged in: an ID token for gcloud's client, valid an hour.</summary>
    public string GcloudIdentityToken(string email) => IdToken(email, GcloudClientId);

    private string IdToken(string account, string audience)
    {
        var now = Clock.GetUtcNow().ToUnixTimeSeconds();
        return Signed(new JsonObject
        {
            ["iss"] = "https://accounts.google.com",
            ["aud"] = audience,
            ["azp"] = account,
            ["sub"] = "1" + string.Concat(SHA256.HashData(Encoding.UTF8.GetBytes(account)).Take(8).Select(b => (b % 10).ToString(System.Globalization.CultureInfo.InvariantCulture))),
            ["email"] = account,
            ["email_verified"] = true,
            ["iat"] = now,
            ["exp"] = now + 3600,
        });
    }

    /// <summary>
    /// Cloud Run's invoker check on a request to a deployed service; records the request. Services that share
    /// the request's URL share their strictest rule. False when it was refused (answered 403 here).
    /// </summary>
    private async Task<bool> InvokerAllowedAsync(HttpContext context)
    {
        var request = context.Request;
        var serverless = request.Headers["X-Serverless-Authorization"].FirstOrDefault();
        var authorization = request.Headers.Authorization.FirstOrDefault();
        var presented = serverless ?? authorization;
        var token = presented?.StartsWith("Bearer ", StringComparison.Ordinal) == true ? presented["Bearer ".Length..] : null;
        var closed = ServicesAt(request).Where(s => _services[s]["invokerIamDisabled"]?.GetValue<bool>() != true && !Invokers(s).Contains("allUsers")).ToList();
        var invoker = closed.Count == 0 || token is null ? null : Verified(token, closed);
        var refused = closed.Count > 0 && invoker is null ? 403 : (int?)null;
        AppRequests.Enqueue(new AppRequest(request.Method, request.Path.Value ?? "/", authorization, serverless, invoker, refused));
        if (refused is null)
        {
            return true;
        }

        context.Response.StatusCode = 403;
        context.Response.ContentType = "text/html; charset=UTF-8";
        await context.Response.WriteAsync($"<html><head><title>403 Forbidden</title></head><body><h1>Error: Forbidden</h1><h2>Your client does not have permission to get URL <code>{System.Net.WebUtility.HtmlEncode(request.Path.Value)}</code> from this server.</h2></body></html>");
        return false;
    }

    /// <summary>The services one of whose URLs (its URL, its other URLs, a tag's URL) is the request's scheme, host and port.</summary>
    private List<string> ServicesAt(HttpRequest request)
    {
        var at = $"{request.Scheme}://{request.Host}";
        return _services.Where(s => ServiceUrls(s.Value).Any(u => Uri.TryCreate(u, UriKind.Absolute, out var url) && string.Equals(url.GetLeftPart(UriPartial.Authority), at, StringComparison.OrdinalIgnoreCase)))
            .Select(s => s.Key).ToList();
    }

    private static IEnumerable<string> ServiceUrls(JsonObject service) =>
        new[] { service["uri"] }.Concat(service["urls"]?.AsArray() ?? []).Concat(service["trafficStatuses"]?.AsArray().Select(t => t?["uri"]) ?? [])
            .Select(u => u?.GetValue<string>()).OfType<string>();

    /// <summary>
    /// The principal (<c>serviceAccount:…</c>, <c>user:…</c>) of a token the double signed, for one of the
    /// service's audiences (its URLs or custom audiences), not expired, holding the invoker role on every one of
    /// <paramref name="services"/>; else null.
    /// </summary>
    private string? Verified(string token, IReadOnlyList<string> services)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        string? issuer, audience, email;
        long expires;
        try
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            if (header.RootElement.GetProperty("alg").GetString() != "RS256"
                || !_idTokenKey.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                return null;
            }

            using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            issuer = claims.RootElement.GetProperty("iss").GetString();
            audience = claims.RootElement.GetProperty("aud").GetString();
            email = claims.RootElement.GetProperty("email").GetString();
            expires = claims.RootElement.GetProperty("exp").GetInt64();
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }

        if (issuer != "https://accounts.google.com" || email is null || expires <= Clock.GetUtcNow().ToUnixTimeSeconds())
        {
            return null;
        }

        var principal = email.EndsWith(".gserviceaccount.com", StringComparison.Ordinal) ? $"serviceAccount:{email}" : $"user:{email}";
        return services.All(s => Audiences(_services[s]).Contains(audience) && Invokers(s).Any(m => m == principal || m == "allAuthenticatedUsers"))
            ? principal
            : null;
    }

    /// <summary>The audiences a service accepts: its URLs, its custom audiences (Service.customAudiences) and gcloud's client.</summary>
    private static HashSet<string?> Audiences(JsonObject service) =>
        [.. new[] { service["uri"]?.GetValue<string>(), GcloudClientId }
            .Concat(service["urls"]?.AsArray().Select(u => u?.GetValue<string>()) ?? [])
            .Concat(service["customAudiences"]?.AsArray().Select(a => a?.GetValue<string>()) ?? [])];

    /// <summary>A JWT (RFC 7519) of these claims, signed RS256 with the double's key.</summary>
    private string Signed(JsonObject claims)
    {
        var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("""{"alg":"RS256","kid":"double-1","typ":"JWT"}"""));
        var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = _idTokenKey.SignData(Encoding.ASCII.GetBytes($"{header}.{payload}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{Base64Url.EncodeToString(signature)}";
    }
}
