using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>The OAuth 2 token endpoint of the double, for service-account key files whose token_uri points here.</summary>
public sealed partial class CloudRunDouble
{
    /// <summary>
    /// Google's OAuth 2 token endpoint for service-account keys (RFC 7523 JWT bearer grant): a key file
    /// whose token_uri points here gets <see cref="Token"/> for a well-formed signed assertion.
    /// </summary>
    private async Task TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        if (form["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange")
        {
            await ExchangeAsync(context, form);
            return;
        }

        var assertion = form["assertion"].ToString().Split('.');
        if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer" || assertion.Length != 3)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = "invalid_grant", error_description = "Invalid JWT." });
            return;
        }

        var claims = JsonDocument.Parse(Convert.FromBase64String(Pad(assertion[1].Replace('-', '+').Replace('_', '/')))).RootElement;
        if (claims.TryGetProperty("target_audience", out _))
        {
            await MintIdTokenAsync(context, claims);
            return;
        }

        if (!claims.TryGetProperty("scope", out var scope) || !scope.GetString()!.Contains("https://www.googleapis.com/auth/cloud-platform", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = "invalid_scope", error_description = "Missing the cloud-platform scope." });
            return;
        }

        await context.Response.WriteAsJsonAsync(new { access_token = Token, expires_in = 3600, token_type = "Bearer" });
    }

    /// <summary>Writes a service-account key file (a fresh RSA key) whose <c>token_uri</c> is this double, and returns its path.</summary>
    public string WriteServiceAccountKey(string directory, string email)
    {
        using var rsa = RSA.Create(2048);
        var path = Path.Combine(directory, $"{email.Split('@')[0]}-key.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = email.Split('@')[1].Split('.')[0],
            ["private_key_id"] = "k1",
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = email,
            ["client_id"] = "1",
            ["token_uri"] = new Uri(BaseUri, "token").ToString(),
        }));
        return path;
    }

    /// <summary>
    /// Writes user credentials (an <c>authorized_user</c> file, as <c>gcloud auth application-default login</c>
    /// does) and returns its path. Google's library refreshes them at Google's own token endpoint whatever the
    /// file says, so they get no access token here: they serve tests where the kind of credential is the subject.
    /// </summary>
    public static string WriteUserCredentials(string directory)
    {
        var path = Path.Combine(directory, "application_default_credentials.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "authorized_user",
            ["client_id"] = "double-client.apps.googleusercontent.com",
            ["client_secret"] = "double-client-secret",
            ["refresh_token"] = "1//user-refresh-token",
        }));
        return path;
    }

    /// <summary>The external subject tokens the double's STS accepts (what a CI's OIDC provider issued).</summary>
    public HashSet<string> TrustedSubjectTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>The token exchanges the STS answered, by subject token type and audience.</summary>
    public ConcurrentQueue<string> Exchanges { get; } = new();

    /// <summary>
    /// Google's Security Token Service (<c>sts.googleapis.com/v1/token</c>) for Workload Identity Federation:
    /// an RFC 8693 token exchange of an external subject token for a Google access token. The form must
    /// carry the pool provider as audience (<c>//iam.googleapis.com/…/providers/…</c>), a trusted subject
    /// token of the declared type, an access token as the requested type, and the cloud-platform scope.
    /// </summary>
    private async Task ExchangeAsync(HttpContext context, IFormCollection form)
    {
        var problem = form["audience"].ToString().StartsWith("//iam.googleapis.com/", StringComparison.Ordinal) && form["audience"].ToString().Contains("/providers/", StringComparison.Ordinal)
            ? form["requested_token_type"] != "urn:ietf:params:oauth:token-type:access_token" ? "requested_token_type must be an access token"
            : string.IsNullOrEmpty(form["subject_token_type"]) ? "subject_token_type is required"
            : !TrustedSubjectTokens.Contains(form["subject_token"].ToString()) ? "The subject token is not trusted by the provider."
            : !form["scope"].ToString().Contains("https://www.googleapis.com/auth/cloud-platform", StringComparison.Ordinal) ? "Missing the cloud-platform scope."
            : null
            : "The audience must name a workload identity pool provider.";
        if (problem is not null)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = "invalid_request", error_description = problem });
            return;
        }

        Exchanges.Enqueue($"{form["subject_token_type"]} for {form["audience"]}");
        await context.Response.WriteAsJsonAsync(new
        {
            access_token = Token,
            issued_token_type = "urn:ietf:params:oauth:token-type:access_token",
            token_type = "Bearer",
            expires_in = 3600,
        });
    }

    private static string Pad(string base64) => base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
}
