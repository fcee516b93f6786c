using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DeployMatrix.Core.Maintenance;

/// <summary>
/// The maintenance bypass: whoever presents the secret token at <see cref="Path"/> (in the
/// <see cref="TokenHeader"/> header, never in a URL that logs would keep) gets a cookie that lets their
/// requests through for at most <see cref="Ttl"/>. The cookie is <c>EXPIRES.SIGNATURE</c> (EXPIRES in Unix
/// seconds), the signature an HMAC-SHA256 of <c>SCOPE:EXPIRES</c> keyed with the token; SCOPE is the
/// service's identity (<c>env/service</c>), so a cookie cannot be forged, moved to another service, or
/// extended. A token is only a key when it is well formed (<see cref="IsWellFormedToken"/>): with an
/// empty or short one nothing verifies, so a damaged token fails closed. Services on Cloud Run implement
/// the same contract from their environment (examples/openagents/crates/tinyhttp/src/maintenance.rs).
/// </summary>
public static class BypassCookie
{
    public const string Name = "deploymatrix_bypass";
    public const string TokenHeader = "X-DeployMatrix-Bypass-Token";
    public const string Path = "/__deploymatrix/bypass";

    /// <summary>How long a cookie lasts from issue, and the furthest expiry a verifier accepts: 900 s.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(900);

    /// <summary>Random bytes in a token: 32, the HMAC-SHA256 key size (RFC 2104 §3 advises at least the hash's output length).</summary>
    public const int TokenBytes = 32;

    /// <summary>Characters of a well-formed token: 32 bytes in unpadded base64url.</summary>
    public const int MinTokenLength = 43;

    /// <summary>A new random token: <see cref="TokenBytes"/> bytes from <see cref="RandomNumberGenerator"/>, base64url.</summary>
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(TokenBytes));

    /// <summary>
    /// Whether <paramref name="token"/> can be a key: at least <see cref="MinTokenLength"/> base64url
    /// characters (what <see cref="NewToken"/> makes). Anything else — empty, short, a stray newline,
    /// a truncated write — is no token at all.
    /// </summary>
    public static bool IsWellFormedToken(string? token) =>
        token is { Length: >= MinTokenLength } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>A cookie value valid from <paramref name="now"/> for <see cref="Ttl"/>.</summary>
    /// <exception cref="ArgumentException">The token is not well formed: no cookie is signed with a weak key.</exception>
    public static string Issue(string token, string scope, DateTimeOffset now)
    {
        if (!IsWellFormedToken(token) || string.IsNullOrEmpty(scope))
        {
            throw new ArgumentException("a bypass cookie needs a well-formed token and a scope", nameof(token));
        }

        var expires = (now + Ttl).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{expires}.{Sign(token, scope, expires)}";
    }

    /// <summary>
    /// The <c>Set-Cookie</c> value for a cookie from <see cref="Issue"/>: host-only (no Domain), Path=/ (the
    /// whole service), Secure, HttpOnly (out of scripts), SameSite=Strict (never sent by another site's
    /// page). Browsers ignore ports, so on 127.0.0.1 every local port sees it; the signed scope is what
    /// keeps it to one service.
    /// </summary>
    public static string SetCookie(string value) =>
        $"{Name}={value}; Max-Age={(int)Ttl.TotalSeconds}; Path=/; Secure; HttpOnly; SameSite=Strict";

    /// <summary>
    /// Whether <paramref name="value"/> is a cookie this token issued for this scope and still holds at
    /// <paramref name="now"/>: its expiry is after now and no later than now + <see cref="Ttl"/> (a cookie
    /// claiming longer was not issued here, whatever its signature), and its signature matches.
    /// </summary>
    public static bool IsValid(string token, string scope, string? value, DateTimeOffset now)
    {
        if (!IsWellFormedToken(token) || string.IsNullOrEmpty(scope))
        {
            return false;
        }

        var dot = value?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (dot <= 0 || !long.TryParse(value.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || expires <= now.ToUnixTimeSeconds() || expires > (now + Ttl).ToUnixTimeSeconds())
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(token, scope, value![..dot]));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(value[(dot + 1)..]));
    }

    /// <summary>Whether a presented token is the secret one, in constant time; never when the secret one is not well formed.</summary>
    public static bool TokenMatches(string? token, string? presented) =>
        IsWellFormedToken(token) && presented is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token!), Encoding.UTF8.GetBytes(presented));

    private static string Sign(string token, string scope, string expires) =>
        Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes($"{scope}:{expires}")));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
