using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DeployMatrix.CloudRun.Invoker;
using DeployMatrix.CloudRun.Tests.Support;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace DeployMatrix.CloudRun.Tests;

/// <summary>
/// Requests of DeployMatrix's own to a Cloud Run service: public or private as Cloud Run decides it (IAM
/// policy, invoker check), an ID token for the service's URL minted by Google's library from a
/// service-account key, kept until shortly before it expires — and the double refusing what Cloud Run refuses.
/// </summary>
public sealed class InvokerCredentialsTests : IAsyncLifetime
{
    private const string Service = "projects/openagentsgemini/locations/us-central1/services/runtime";
    private const string Deployer = "deployer@openagentsgemini.iam.gserviceaccount.com";
    private static readonly ResolvedTarget Runtime = Targets.Runtime;

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false });
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-30T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private DoubleConnection _connection = null!;
    private CloudRunDouble _double = null!;

    public async Task InitializeAsync()
    {
        _connection = await DoubleConnection.StartAsync();
        _double = _connection.Fake;
        _double.Clock = _time;
        _double.AddService("openagentsgemini", "us-central1", "runtime", "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:aaa1111");
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        _dir.Dispose();
    }

    private Uri ServiceUrl => new(_double.Service(Service)["uri"]!.GetValue<string>());

    [Fact]
    public async Task APublicService_ByAllUsersOrWithTheInvokerCheckOff_GetsNoCredentials_AndNothingIsMinted()
    {
        var platform = _connection.PlatformWith(Key(Deployer), _time);

        var byPolicy = await platform.InvokerCredentialsAsync(Runtime, new Uri(ServiceUrl, "/healthz"), CancellationToken.None);
        _double.MakePrivate(Service, $"serviceAccount:{Deployer}");
        _double.DisableInvokerIamCheck(Service);
        var byCheckOff = await platform.InvokerCredentialsAsync(Runtime, new Uri(ServiceUrl, "/healthz"), CancellationToken.None);

        Assert.Null(byPolicy);
        Assert.Null(byCheckOff);
        Assert.Empty(_double.IdTokensMinted);
        // The policy is read once: with the invoker check off, who holds the role does not matter.
        Assert.Single(_double.Calls, c => c.EndsWith("/services/runtime:getIamPolicy?options.requestedPolicyVersion=3", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/healthz", null)).StatusCode);
    }

    [Fact]
    public async Task APrivateService_GetsAGoogleSignedIdTokenForItsUrl_WhichCloudRunLetsIn()
    {
        _double.MakePrivate(Service, $"serviceAccount:{Deployer}");
        var platform = _connection.PlatformWith(Key(Deployer), _time);

        var header = await platform.InvokerCredentialsAsync(Runtime, new Uri(ServiceUrl, "/healthz"), CancellationToken.None);
        var with = await GetAsync("/healthz", header);
        var without = await GetAsync("/healthz", null);

        Assert.Equal("Bearer", header!.Scheme);
        Assert.Equal(Assert.Single(_double.IdTokensMinted), header.Parameter);
        var claims = Claims(header.Parameter!);
        Assert.Equal(ServiceUrl.GetLeftPart(UriPartial.Authority), claims.GetProperty("aud").GetString());
        Assert.Equal(Deployer, claims.GetProperty("email").GetString());
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Forbidden), (with.StatusCode, without.StatusCode));
        Assert.Equal([$"serviceAccount:{Deployer}", null], _double.AppRequests.Select(r => r.Invoker));
    }

    [Fact]
    public async Task TheTokenIsKeptPerAudience_UntilFiveMinutesBeforeItExpires_OnTheInjectedClock()
    {
        _double.MakePrivate(Service, $"serviceAccount:{Deployer}");
        var platform = _connection.PlatformWith(Key(Deployer), _time);
        var url = new Uri(ServiceUrl, "/readyz");

        var first = await platform.InvokerCredentialsAsync(Runtime, url, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(54));
        var kept = await platform.InvokerCredentialsAsync(Runtime, url, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var renewed = await platform.InvokerCredentialsAsync(Runtime, url, CancellationToken.None);

        Assert.Equal(first!.Parameter, kept!.Parameter);
        Assert.NotEqual(first.Parameter, renewed!.Parameter);
        Assert.Equal(2, _double.IdTokensMinted.Count);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/readyz", renewed)).StatusCode);
    }

    [Fact]
    public async Task CredentialsThatCannotMint_OnAPrivateService_FailInOneLine_NamingTheRoleAndTheFix()
    {
        _double.MakePrivate(Service, $"serviceAccount:{Deployer}");
        var user = CloudRunConnection.Credentials(Env(CloudRunDouble.WriteUserCredentials(_dir.Path)));
        var keylessCi = Path.Combine(_dir.Path, "wif.json");
        File.WriteAllText(keylessCi, """
            {"type": "external_account", "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/github",
             "subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "token_url": "http://127.0.0.1:9/token", "credential_source": {"file": "oidc-token"}}
            """);

        var bare = await Assert.ThrowsAsync<PlatformException>(() => _connection.Platform.InvokerCredentialsAsync(Runtime, ServiceUrl, CancellationToken.None));
        var gcloudLogin = await Assert.ThrowsAsync<PlatformException>(() => _connection.PlatformWith(user, _time).InvokerCredentialsAsync(Runtime, ServiceUrl, CancellationToken.None));
        var federated = await Assert.ThrowsAsync<PlatformException>(() => _connection.PlatformWith(CloudRunConnection.Credentials(Env(keylessCi)), _time).InvokerCredentialsAsync(Runtime, ServiceUrl, CancellationToken.None));

        Assert.Equal(
            "Cloud Run service runtime requires authentication (no roles/run.invoker for allUsers), and a fixed access token cannot mint the ID token it takes; "
            + "use a service account that holds roles/run.invoker on it: a key or an impersonation file in GOOGLE_APPLICATION_CREDENTIALS "
            + "(gcloud auth application-default login --impersonate-service-account=SA_EMAIL), or the attached service account on Google Cloud",
            bare.Message);
        Assert.Contains(", and user credentials (gcloud auth application-default login) cannot mint the ID token it takes; use a service account", gcloudLogin.Message, StringComparison.Ordinal);
        Assert.Contains(", and a workload identity federation configuration (external_account) cannot mint the ID token it takes; use a service account", federated.Message, StringComparison.Ordinal);
        Assert.Equal((1, 1, 1), (bare.ExitCode, gcloudLogin.ExitCode, federated.ExitCode));
        Assert.Empty(_double.IdTokensMinted);
    }

    [Fact]
    public async Task AUrlThatIsNotTheServices_GetsNoToken()
    {
        _double.MakePrivate(Service, $"serviceAccount:{Deployer}");
        var platform = _connection.PlatformWith(Key(Deployer), _time);

        var refused = await Assert.ThrowsAsync<PlatformException>(() => platform.InvokerCredentialsAsync(Runtime, new Uri("http://127.0.0.1:9/healthz"), CancellationToken.None));

        Assert.Equal("http://127.0.0.1:9 is not a URL of Cloud Run service runtime; its ID token is sent to the service only", refused.Message);
        Assert.Empty(_double.IdTokensMinted);
    }

    [Fact]
    public async Task TheDouble_RefusesATamperedMisaddressedOrExpiredToken_OrOneOfANonInvoker_AsCloudRunDoes()
    {
        _double.MakePrivate(Service, $"serviceAccount:{Deployer}");
        var deployer = Key(Deployer);
        var good = (await deployer.GetIdTokenAsync(ServiceUrl.GetLeftPart(UriPartial.Authority), CancellationToken.None)).Value;
        var elsewhere = (await deployer.GetIdTokenAsync("https://other-service-abc-uc.a.run.app", CancellationToken.None)).Value;
        var stranger = (await Key("stranger@openagentsgemini.iam.gserviceaccount.com").GetIdTokenAsync(ServiceUrl.GetLeftPart(UriPartial.Authority), CancellationToken.None)).Value;
        var parts = good.Split('.');
        var tampered = $"{parts[0]}.{Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(Claims(good).GetRawText().Replace(Deployer, "x" + Deployer[1..], StringComparison.Ordinal)))}.{parts[2]}";

        var codes = new List<HttpStatusCode>();
        foreach (var token in new[] { good, tampered, elsewhere, stranger })
        {
            codes.Add((await GetAsync("/healthz", new AuthenticationHeaderValue("Bearer", token))).StatusCode);
        }

        // The application keeps Authorization for itself; Cloud Run reads the ID token from X-Serverless-Authorization.
        using var both = new HttpRequestMessage(HttpMethod.Get, new Uri(ServiceUrl, "/healthz"));
        both.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "the-apps-own-token");
        both.Headers.Add("X-Serverless-Authorization", $"Bearer {good}");
        codes.Add((await Http.SendAsync(both)).StatusCode);
        _time.Advance(TimeSpan.FromHours(1));
        codes.Add((await GetAsync("/healthz", new AuthenticationHeaderValue("Bearer", good))).StatusCode);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.OK, HttpStatusCode.Forbidden], codes);
    }

    [Fact]
    public void TheExpiryOfAToken_IsItsExpClaim_AndAnUnreadableOneCountsAsExpired()
    {
        var token = $"{Base64Url.EncodeToString("{}"u8)}.{Base64Url.EncodeToString("""{"exp":1796040000}"""u8)}.c2ln";

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1796040000), IdToken.ExpiryOf(token));
        Assert.Equal(DateTimeOffset.MinValue, IdToken.ExpiryOf("not a token"));
        Assert.Equal(DateTimeOffset.MinValue, IdToken.ExpiryOf("a.!!!.c"));
        Assert.DoesNotContain("secret-value", new IdToken("secret-value", DateTimeOffset.UnixEpoch).ToString(), StringComparison.Ordinal);
    }

    private CloudRunConnection.Credential Key(string email) => CloudRunConnection.Credentials(Env(_double.WriteServiceAccountKey(_dir.Path, email)));

    private static Func<string, string?> Env(string credentialsFile) => name => name == "GOOGLE_APPLICATION_CREDENTIALS" ? credentialsFile : null;

    private static JsonElement Claims(string token) => JsonDocument.Parse(Base64Url.DecodeFromChars(token.Split('.')[1])).RootElement.Clone();

    private async Task<HttpResponseMessage> GetAsync(string path, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ServiceUrl, path));
        request.Headers.Authorization = authorization;
        return await Http.SendAsync(request);
    }
}
