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
    private static async Task TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        var assertion = form["assertion"].ToString().Split('.');
        if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer" || assertion.Length != 3)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = "invalid_grant", error_description = "Invalid JWT." });
            return;
        }

        var claims = JsonDocument.Parse(Convert.FromBase64String(Pad(assertion[1].Replace('-', '+').Replace('_', '/')))).RootElement;
        if (!claims.TryGetProperty("scope", out var scope) || !scope.GetString()!.Contains("https://www.googleapis.com/auth/cloud-platform", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = "invalid_scope", error_description = "Missing the cloud-platform scope." });
            return;
        }

        await context.Response.WriteAsJsonAsync(new { access_token = Token, expires_in = 3600, token_type = "Bearer" });
    }

    private static string Pad(string base64) => base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
}
