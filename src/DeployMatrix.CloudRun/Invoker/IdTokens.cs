namespace DeployMatrix.CloudRun.Invoker;

/// <summary>
/// Google-signed ID tokens (OpenID Connect) for an audience, minted from the same credentials the
/// platform's access tokens come from (Google.Apis.Auth's <c>GetOidcTokenAsync</c>).
/// </summary>
public interface IIdTokenSource
{
    /// <exception cref="IdTokensUnavailableException">These credentials cannot mint ID tokens (user credentials, a bare access token).</exception>
    /// <exception cref="Engine.Platform.PlatformException">The token endpoint refused the credentials or could not be reached.</exception>
    Task<IdToken> GetIdTokenAsync(string audience, CancellationToken cancellationToken);
}

/// <summary>An ID token and when it expires. A secret: <see cref="ToString"/> never shows it.</summary>
public sealed record IdToken(string Value, DateTimeOffset Expires)
{
    public override string ToString() => $"an ID token valid until {Expires:u}";

    /// <summary>
    /// When a minted token expires: its <c>exp</c> claim (RFC 7519 §4.1.4, seconds since the epoch). The token
    /// is Google's and is read, not checked — the service it is sent to checks it; a token without a readable
    /// expiry counts as expired, so it is used once and never kept.
    /// </summary>
    public static DateTimeOffset ExpiryOf(string token)
    {
        var parts = token.Split('.');
        try
        {
            using var claims = System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts.Length == 3 ? parts[1] : ""));
            return claims.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : DateTimeOffset.MinValue;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or ArgumentOutOfRangeException)
        {
            return DateTimeOffset.MinValue;
        }
    }
}

/// <summary>The credentials at hand cannot mint ID tokens; <see cref="Credentials"/> says what they are, for people.</summary>
public sealed class IdTokensUnavailableException(string credentials) : Exception($"{credentials} cannot mint ID tokens")
{
    public string Credentials { get; } = credentials;
}
