using DeployMatrix.Core.Maintenance;

namespace DeployMatrix.Core.Tests.Maintenance;

/// <summary>
/// The bypass cookie on its own: its exact bytes (the signature computed independently with Python's
/// <c>hmac</c> module), the edge of its lifetime, and every way a cookie can be forged, moved or stretched.
/// </summary>
public sealed class BypassCookieTests
{
    private const string Token = "secret-token";
    private const string Scope = "staging/web";
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 9, 45, 0, TimeSpan.Zero);

    [Fact]
    public void ACookie_IsItsExpiry_DotTheHmacOfScopeAndExpiry()
    {
        // python3: base64.urlsafe_b64encode(hmac.new(b"secret-token", b"staging/web:1796032800", sha256).digest()).rstrip(b"=")
        Assert.Equal("1796032800.vW-J-w-y3fwEC-4KER-glFPeDHDdNr7Yenw0Wi5686U", BypassCookie.Issue(Token, Scope, Now));
    }

    [Fact]
    public void TheSetCookie_LastsFifteenMinutes_OverHttpsOnly_AndOutOfScripts()
    {
        Assert.Equal(
            "deploymatrix_bypass=v; Max-Age=900; Path=/; Secure; HttpOnly; SameSite=Lax",
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
    [InlineData(".vW-J-w-y3fwEC-4KER-glFPeDHDdNr7Yenw0Wi5686U")]            // no expiry
    [InlineData("+1796032800.vW-J-w-y3fwEC-4KER-glFPeDHDdNr7Yenw0Wi5686U")] // a sign is not a digit
    [InlineData("1796032800.")]                                              // no signature
    [InlineData("1796032800.vW-J-w-y3fwEC-4KER-glFPeDHDdNr7Yenw0Wi5686V")] // one character changed
    [InlineData("1796032801.vW-J-w-y3fwEC-4KER-glFPeDHDdNr7Yenw0Wi5686U")] // expiry stretched
    public void AMalformedOrAlteredCookie_IsRefused(string? cookie)
    {
        Assert.False(BypassCookie.IsValid(Token, Scope, cookie, Now));
    }

    [Fact]
    public void ACookie_IsBoundToItsServiceAndToken()
    {
        var cookie = BypassCookie.Issue(Token, Scope, Now);

        Assert.False(BypassCookie.IsValid(Token, "production/web", cookie, Now));
        Assert.False(BypassCookie.IsValid("another-token", Scope, cookie, Now));
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
}
