using DeployMatrix.Core.Maintenance;

namespace DeployMatrix.Core.Tests.Maintenance;

/// <summary>
/// The bypass cookie on its own: its exact bytes (the signature computed independently with Python's
/// <c>hmac</c> module), the edge of its lifetime, and every way a cookie can be forged, moved or stretched.
/// </summary>
public sealed class BypassCookieTests
{
    private const string Token = "q6Lk0pZ3mN8vR2xW5yT1aB4cD7eF9gH0jK2lM3nP5rS"; // 43 base64url characters, as NewToken makes
    private const string Scope = "staging/web";
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 9, 45, 0, TimeSpan.Zero);

    [Fact]
    public void ACookie_IsItsExpiry_DotTheHmacOfScopeAndExpiry()
    {
        // python3: base64.urlsafe_b64encode(hmac.new(b"q6Lk0pZ3mN8vR2xW5yT1aB4cD7eF9gH0jK2lM3nP5rS", b"staging/web:1796032800", sha256).digest()).rstrip(b"=")
        Assert.Equal("1796032800.XlMwoutWPZxRLmb7YmooycOwxB1AFi5Lnlef7W2Lgys", BypassCookie.Issue(Token, Scope, Now));
    }

    [Fact]
    public void TheSetCookie_LastsFifteenMinutes_OverHttpsOnly_OutOfScriptsAndOtherSites()
    {
        Assert.Equal(
            "deploymatrix_bypass=v; Max-Age=900; Path=/; Secure; HttpOnly; SameSite=Strict",
            BypassCookie.SetCookie("v"));
    }

    [Fact]
    public void ACookie_HoldsUntilTheSecondBeforeItsExpiry_AndNotAtIt()
    {
        var cookie = BypassCookie.Issue(Token, Scope, Now);

        Assert.True(BypassCookie.IsValid(Token, Scope, cookie, Now));
        Assert.True(BypassCookie.IsValid(Token, Scope, cookie, Now + BypassCookie.Ttl - TimeSpan.FromSeconds(1)));
        Assert.False(BypassCookie.IsValid(Token, Scope, cookie, Now + BypassCookie.Ttl));
        Assert.False(BypassCookie.IsValid(Token, Scope, cookie, Now + BypassCookie.Ttl + TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("no-dot-at-all")]
    [InlineData(".XlMwoutWPZxRLmb7YmooycOwxB1AFi5Lnlef7W2Lgys")]            // no expiry
    [InlineData("+1796032800.XlMwoutWPZxRLmb7YmooycOwxB1AFi5Lnlef7W2Lgys")] // a sign is not a digit
    [InlineData("1796032800.")]                                              // no signature
    [InlineData("1796032800.XlMwoutWPZxRLmb7YmooycOwxB1AFi5Lnlef7W2Lgyt")] // one character changed
    [InlineData("1796032801.XlMwoutWPZxRLmb7YmooycOwxB1AFi5Lnlef7W2Lgys")] // expiry stretched
    public void AMalformedOrAlteredCookie_IsRefused(string? cookie)
    {
        Assert.False(BypassCookie.IsValid(Token, Scope, cookie, Now));
    }

    [Fact]
    public void ACookie_IsBoundToItsServiceAndToken()
    {
        var cookie = BypassCookie.Issue(Token, Scope, Now);

        Assert.False(BypassCookie.IsValid(Token, "production/web", cookie, Now));
        Assert.False(BypassCookie.IsValid(BypassCookie.NewToken(), Scope, cookie, Now));
    }

    [Fact]
    public void ACookieSignedWithItsOwnToken_ButClaimingALongLife_IsRefused()
    {
        // Signed with the real key, so only the cap stops it: a cookie lives 900 s from issue, whatever it claims.
        var tenYears = Now.AddYears(10).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var justPastTheCap = (Now + BypassCookie.Ttl).ToUnixTimeSeconds() + 1;

        Assert.False(BypassCookie.IsValid(Token, Scope, $"{tenYears}.{Signature(Token, Scope, tenYears)}", Now));
        Assert.False(BypassCookie.IsValid(Token, Scope, $"{justPastTheCap}.{Signature(Token, Scope, justPastTheCap.ToString(System.Globalization.CultureInfo.InvariantCulture))}", Now));
    }

    [Theory]
    [InlineData("")]
    [InlineData("short-token")]
    [InlineData("q6Lk0pZ3mN8vR2xW5yT1aB4cD7eF9gH0jK2lM3nP5r")]  // 42 characters: one short
    [InlineData("q6Lk0pZ3mN8vR2xW5yT1aB4cD7eF9gH0jK2lM3nP5rS\n")] // not base64url
    [InlineData("q6Lk0pZ3mN8vR2xW5yT1aB4cD7eF9gH0jK2lM3n P5rS")] // not base64url
    public void AnEmptyShortOrMalformedKey_VerifiesNothing_AndSignsNothing(string key)
    {
        // What a zero-byte token file gave: anyone could sign with the empty key and present the empty token.
        var expires = (Now + TimeSpan.FromSeconds(60)).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.False(BypassCookie.IsWellFormedToken(key));
        Assert.False(BypassCookie.IsValid(key, Scope, $"{expires}.{Signature(key, Scope, expires)}", Now));
        Assert.False(BypassCookie.TokenMatches(key, key));
        Assert.Throws<ArgumentException>(() => BypassCookie.Issue(key, Scope, Now));
    }

    [Fact]
    public void TheToken_MatchesOnlyItself()
    {
        Assert.True(BypassCookie.TokenMatches(Token, Token));
        Assert.False(BypassCookie.TokenMatches(Token, null));
        Assert.False(BypassCookie.TokenMatches(Token, ""));
        Assert.False(BypassCookie.TokenMatches(Token, Token + "x"));
        Assert.False(BypassCookie.TokenMatches(Token, "Secret-token"));
    }

    [Fact]
    public void NewTokens_Are32RandomBytes_InBase64Url()
    {
        var tokens = Enumerable.Range(0, 8).Select(_ => BypassCookie.NewToken()).ToList();

        Assert.All(tokens, t => Assert.Matches("^[A-Za-z0-9_-]{43}$", t));
        Assert.Equal(tokens.Count, tokens.Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>The signature computed here from the published construction, independent of <see cref="BypassCookie"/>.</summary>
    private static string Signature(string key, string scope, string expires) =>
        Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key), System.Text.Encoding.UTF8.GetBytes($"{scope}:{expires}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
