using System.Net.Http.Headers;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Execution;

/// <summary>A smoke check's one request against a real HTTP service: the status, the body, no answer at all.</summary>
public sealed class SmokeProbeTests : IAsyncLifetime
{
    private LoopbackService _web = null!;

    public async Task InitializeAsync()
    {
        _web = await LoopbackService.StartAsync();
        _web.Answers["/readyz"] = (200, "ready: yes", null);
        _web.Answers["/boom"] = (503, "down", null);
    }

    public async Task DisposeAsync() => await _web.DisposeAsync();

    [Fact]
    public async Task TheExpectedStatus_AndBody_Pass()
    {
        Assert.Equal("GET /readyz → 200", await SmokeProbe.GetAsync(Url("/readyz"), 200, null, null, http2: false, CancellationToken.None));
        Assert.Equal("GET /readyz → 200", await SmokeProbe.GetAsync(Url("/readyz"), 200, "ready: yes", null, http2: false, CancellationToken.None));
        Assert.Equal("GET /boom → 503", await SmokeProbe.GetAsync(Url("/boom"), 503, "down", null, http2: false, CancellationToken.None));
    }

    [Fact]
    public async Task AnotherStatus_AMissingPiece_OrNoAnswer_FailTheStep_SayingWhy()
    {
        var status = await Assert.ThrowsAsync<PlatformException>(() => SmokeProbe.GetAsync(Url("/boom"), 200, null, null, http2: false, CancellationToken.None));
        var body = await Assert.ThrowsAsync<PlatformException>(() => SmokeProbe.GetAsync(Url("/readyz"), 200, "Ready", null, http2: false, CancellationToken.None));
        var closed = await Assert.ThrowsAsync<PlatformException>(() => SmokeProbe.GetAsync(new Uri("http://127.0.0.1:1/healthz"), 200, null, null, http2: false, CancellationToken.None));

        Assert.Equal("smoke check GET /boom answered 503, expected 200", status.Message);
        Assert.Equal("smoke check GET /readyz answered without 'Ready'", body.Message);
        Assert.StartsWith("smoke check GET http://127.0.0.1:1/healthz failed: ", closed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheInvokersCredentials_GoWithTheRequest_ButNotWithARedirect()
    {
        _web.Answers["/moved"] = (302, "", "Location: /readyz");

        var passed = await SmokeProbe.GetAsync(Url("/moved"), 200, "ready", new AuthenticationHeaderValue("Bearer", "id-token-for-the-service"), http2: false, CancellationToken.None);

        Assert.Equal("GET /moved → 200", passed);
        Assert.Equal(["GET /moved auth=Bearer id-token-for-the-service", "GET /readyz auth="], _web.Requests);
    }

    [Fact]
    public async Task ARefusal_IsAskedAgainOnceWithTheCredentialsGivenThen_AndNeverWhenNoneAreGiven()
    {
        _web.Answers["/private"] = (403, "forbidden", null);
        var asked = 0;
        Task<AuthenticationHeaderValue?> Mint(CancellationToken ct)
        {
            asked++;
            return Task.FromResult<AuthenticationHeaderValue?>(new AuthenticationHeaderValue("Bearer", "identity"));
        }

        var refusedTwice = await Assert.ThrowsAsync<PlatformException>(() => SmokeProbe.GetAsync(Url("/private"), 200, null, null, http2: false, Mint, answered: null, CancellationToken.None));
        var nothingToSend = await Assert.ThrowsAsync<PlatformException>(() =>
            SmokeProbe.GetAsync(Url("/private"), 200, null, null, http2: false, _ => Task.FromResult<AuthenticationHeaderValue?>(null), answered: null, CancellationToken.None));
        var expected = await SmokeProbe.GetAsync(Url("/private"), 403, null, null, http2: false, Mint, answered: null, CancellationToken.None);

        Assert.Equal(1, asked); // not for the second refusal, nor where 403 is what the check expects
        Assert.Equal(["GET /private auth=", "GET /private auth=Bearer identity", "GET /private auth=", "GET /private auth="], _web.Requests);
        Assert.Equal("smoke check GET /private answered 403, expected 200", refusedTwice.Message);
        Assert.Equal("smoke check GET /private answered 403, expected 200: the service lets in only callers with credentials", nothingToSend.Message);
        Assert.Equal("GET /private → 403", expected);
    }

    private Uri Url(string path) => new(_web.Url, path);
}
