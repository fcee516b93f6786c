using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DeployMatrix.Core.Maintenance;

/// <summary>
/// The maintenance bypass: whoever presents the secret token at <see cref="Path"/> (in the
/// <see cref="TokenHeader"/> header, never in a URL that logs would keep) gets a cookie that lets their
/// requests through for <see cref="Ttl"/>. The cookie is <c>EXPIRES.SIGNATURE</c>, the signature an
/// HMAC-SHA256 of <c>SCOPE:EXPIRES</c> keyed with the token, so it cannot be forged, moved to another
/// service, or extended. Services on Cloud Run implement the same contract from their environment.
/// </summary>
public static class BypassCookie
{
    public const string Name = "deploymatrix_bypass";
    public const string TokenHeader = "X-DeployMatrix-Bypass-Token";
    public const string Path = "/__deploymatrix/bypass";
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(900);

    /// <summary>A new random token: 32 bytes, base64url.</summary>
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Issue(string token, string scope, DateTimeOffset now)
    {
        var expires = (now + Ttl).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{expires}.{Sign(token, scope, expires)}";
    }

    /// <summary>The <c>Set-Cookie</c> value for a cookie from <see cref="Issue"/>.</summary>
    public static string SetCookie(string value) =>
        $"{Name}={value}; Max-Age={(int)Ttl.TotalSeconds}; Path=/; Secure; HttpOnly; SameSite=Lax";

    public static bool IsValid(string token, string scope, string? value, DateTimeOffset now)
    {
        var dot = value?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (dot <= 0 || !long.TryParse(value.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || expires <= now.ToUnixTimeSeconds())
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(token, scope, value![..dot]));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(value[(dot + 1)..]));
    }

    /// <summary>Whether a presented token is the secret one, in constant time.</summary>
    public static bool TokenMatches(string token, string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(presented));

    private static string Sign(string token, string scope, string expires) =>
        Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes($"{scope}:{expires}")));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
