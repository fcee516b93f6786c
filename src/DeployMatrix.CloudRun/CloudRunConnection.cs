using DeployMatrix.CloudRun.Api;
using DeployMatrix.Core.Model;
using DeployMatrix.CloudRun.Build;
using DeployMatrix.CloudRun.Invoker;
using DeployMatrix.Engine.Platform;
using Google.Apis.Auth.OAuth2;

namespace DeployMatrix.CloudRun;

/// <summary>
/// How this process reaches Google: credentials and endpoints, from the environment.
/// <list type="bullet">
/// <item><c>GOOGLE_OAUTH_ACCESS_TOKEN</c>: an access token to use as is (e.g. <c>gcloud auth print-access-token</c>).</item>
/// <item>Otherwise Application Default Credentials: the key file in <c>GOOGLE_APPLICATION_CREDENTIALS</c>, or the
/// credentials of <c>gcloud auth application-default login</c>, or the metadata server on Google Cloud.</item>
/// <item><c>DEPLOYMATRIX_GOOGLE_API_URL</c>: one base URL for every Google API (a private endpoint or a test double).</item>
/// <item><c>DEPLOYMATRIX_DOMAIN_ENDPOINTS</c>: <c>HOST=URL,…</c> — where requests for a mapped domain go instead of
/// <c>https://HOST/</c>: loopback URLs only, so tests reach a domain without DNS and nothing else can be redirected.</item>
/// </list>
/// </summary>
public static class CloudRunConnection
{
    public const string TokenVariable = "GOOGLE_OAUTH_ACCESS_TOKEN";
    public const string EndpointVariable = "DEPLOYMATRIX_GOOGLE_API_URL";
    public const string DomainEndpointsVariable = "DEPLOYMATRIX_DOMAIN_ENDPOINTS";

    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>The Cloud Run platform with credentials already proven to yield a token, so a command without them stops before it changes anything.</summary>
    /// <exception cref="PlatformException">No usable credentials (exit code 2).</exception>
    public static async Task<CloudRunPlatform> PlatformAsync(Func<string, string?> environment, TimeProvider time, CancellationToken cancellationToken) =>
        (await OpenAsync(environment, time, cancellationToken)).Platform();

    /// <summary>Cloud Build (with the source upload of <paramref name="sourceDirectory"/>), on credentials already proven.</summary>
    public static async Task<CloudBuilder> BuilderAsync(Func<string, string?> environment, TimeProvider time, string sourceDirectory, Engine.Git.GitInfo git, CancellationToken cancellationToken) =>
        (await OpenAsync(environment, time, cancellationToken)).Builder(sourceDirectory, git);

    private static async Task<Connection> OpenAsync(Func<string, string?> environment, TimeProvider time, CancellationToken cancellationToken)
    {
        var endpoints = environment(EndpointVariable) is { Length: > 0 } url ? Endpoints(url) : GoogleEndpoints.Production;
        var tokens = Credentials(environment);
        var domains = DomainEndpoints(environment(DomainEndpointsVariable));
        _ = await tokens.GetAccessTokenAsync(cancellationToken);
        return new Connection(new GoogleHttp(Http, tokens, time: time), tokens, endpoints, time) { Domains = domains };
    }

    /// <summary>The test seam for domains: <c>HOST=URL</c> pairs, comma-separated, each URL an http(s) URL on loopback.</summary>
    /// <exception cref="PlatformException">A pair that is not one, or a URL off this machine (exit code 2).</exception>
    internal static IReadOnlyDictionary<string, Uri> DomainEndpoints(string? value)
    {
        var map = new Dictionary<string, Uri>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !Uri.TryCreate(pair[(equals + 1)..], UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || !url.IsLoopback)
            {
                throw new PlatformException($"{DomainEndpointsVariable} has '{pair}', not HOST=URL with a loopback http(s) URL; it only stands in for DNS in tests — unset it", 2);
            }

            map[pair[..equals]] = url;
        }

        return map;
    }

    /// <summary>The credentials the environment names (first found wins: an access token, a credentials file, ADC); they mint access tokens and, where they can, ID tokens.</summary>
    internal static Credential Credentials(Func<string, string?> environment) => environment(TokenVariable) is { Length: > 0 } token
        ? new StaticToken(token)
        : new ApplicationDefaultToken(environment("GOOGLE_APPLICATION_CREDENTIALS") is { Length: > 0 } keyFile ? keyFile : null);

    /// <summary>Every Google API at one base URL: https, or http on loopback only (a test double) — the access token goes with every call.</summary>
    /// <exception cref="PlatformException">Not an http(s) URL, or cleartext to another machine (exit code 2).</exception>
    private static GoogleEndpoints Endpoints(string url)
    {
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new PlatformException($"{EndpointVariable} is '{url}', not an http(s) URL; set it to the base URL every Google API is reached at, or unset it", 2);
        }

        return Loopback.CleartextProblem(baseUri) is { } problem
            ? throw new PlatformException($"{EndpointVariable}: {problem}", 2)
            : GoogleEndpoints.All(baseUri);
    }

    private sealed record Connection(GoogleHttp Http, Credential Tokens, GoogleEndpoints Endpoints, TimeProvider Time)
    {
        public IReadOnlyDictionary<string, Uri> Domains { get; init; } = new Dictionary<string, Uri>();

        public CloudRunPlatform Platform()
        {
            var run = new RunApi(Http, Endpoints, Time);
            return new(run, new MonitoringApi(Http, Endpoints), new SecretManagerApi(Http, Endpoints), new InvokerCredentials(run, Tokens, Time), new CloudRunPreflight(run, new ArtifactRegistryApi(Http, Endpoints)), Time)
            {
                Logging = new LoggingApi(Http, Endpoints),
                DomainEndpoints = Domains,
            };
        }

        public CloudBuilder Builder(string sourceDirectory, Engine.Git.GitInfo git) => new(new StorageApi(Tokens, Endpoints, Http), new CloudBuildApi(Http, Endpoints, Time), new LoggingApi(Http, Endpoints), Time, sourceDirectory, git);
    }

    /// <summary>Credentials that give access tokens for Google's APIs and ID tokens for services (where they can).</summary>
    internal abstract class Credential : ITokenSource, IIdTokenSource
    {
        public abstract Task<string> GetAccessTokenAsync(CancellationToken cancellationToken);

        public abstract Task<IdToken> GetIdTokenAsync(string audience, CancellationToken cancellationToken);
    }

    /// <summary>An access token as given: it says nothing of who it belongs to, so no ID token can be had from it.</summary>
    private sealed class StaticToken(string token) : Credential
    {
        public override Task<string> GetAccessTokenAsync(CancellationToken cancellationToken) => Task.FromResult(token);

        public override Task<IdToken> GetIdTokenAsync(string audience, CancellationToken cancellationToken) =>
            throw new IdTokensUnavailableException($"an access token ({TokenVariable})");
    }

    /// <summary>The credential file kinds Application Default Credentials accepts (JsonCredentialParameters), by their <c>type</c>.</summary>
    private static readonly string[] CredentialFileTypes =
    [
        JsonCredentialParameters.ServiceAccountCredentialType,
        JsonCredentialParameters.ExternalAccountCredentialType,
        JsonCredentialParameters.AuthorizedUserCredentialType,
        JsonCredentialParameters.ImpersonatedServiceAccountCredentialType,
        JsonCredentialParameters.ExternalAccountAuthorizedUserCredentialType,
    ];

    /// <summary>
    /// A GOOGLE_APPLICATION_CREDENTIALS file of any kind ADC accepts: a service-account key, a Workload
    /// Identity Federation configuration (keyless CI), user credentials, or an impersonation file. The
    /// kind is read from the file and named to Google's loader, which refuses anything else.
    /// </summary>
    private static async Task<GoogleCredential> FromFileAsync(string path, CancellationToken cancellationToken)
    {
        string? type;
        using (var document = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(path, cancellationToken)))
        {
            type = document.RootElement.TryGetProperty("type", out var value) ? value.GetString() : null;
        }

        if (type is null || !CredentialFileTypes.Contains(type))
        {
            throw new InvalidOperationException($"its type is {type ?? "missing"}, not one of {string.Join(", ", CredentialFileTypes)}");
        }

        return await CredentialFactory.FromFileAsync(path, type, cancellationToken);
    }

    /// <summary>Application Default Credentials: access tokens scoped for Cloud Platform, ID tokens for a service's audience; loaded once, refreshed by the library.</summary>
    private sealed class ApplicationDefaultToken(string? keyFile) : Credential
    {
        private GoogleCredential? _credential;
        private ITokenAccess? _scoped;

        public override Task<string> GetAccessTokenAsync(CancellationToken cancellationToken) => GuardedAsync("an access token", async () =>
        {
            _scoped ??= (await LoadAsync(cancellationToken)).CreateScoped("https://www.googleapis.com/auth/cloud-platform");
            var token = await _scoped.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);
            return string.IsNullOrEmpty(token)
                ? throw new PlatformException("Google's token endpoint answered without an access token; check the credentials' token_url/token_uri", 2)
                : token;
        }, cancellationToken);

        /// <summary>
        /// An ID token for <paramref name="audience"/> through Google.Apis.Auth's OIDC support: a service-account
        /// key signs a request to its token endpoint (JWT bearer grant with <c>target_audience</c>), an
        /// impersonation file asks IAM Credentials' <c>generateIdToken</c>, the metadata server mints one for the
        /// attached service account. User credentials cannot.
        /// </summary>
        public override Task<IdToken> GetIdTokenAsync(string audience, CancellationToken cancellationToken) => GuardedAsync("an ID token", async () =>
        {
            var credential = await LoadAsync(cancellationToken);
            if (credential.UnderlyingCredential is not IOidcTokenProvider)
            {
                throw Unavailable(credential);
            }

            string token;
            try
            {
                var oidc = await credential.GetOidcTokenAsync(OidcTokenOptions.FromTargetAudience(audience), cancellationToken);
                token = await oidc.GetAccessTokenAsync(cancellationToken);
            }
            catch (InvalidOperationException)
            {
                // The library's word for a credential of a kind that cannot (an impersonation whose source cannot).
                throw Unavailable(credential);
            }

            return string.IsNullOrEmpty(token)
                ? throw new PlatformException("Google's token endpoint answered without an ID token; check the credentials' token_uri", 2)
                : new IdToken(token, IdToken.ExpiryOf(token));
        }, cancellationToken);

        /// <summary>What the credentials are, for people: in Google.Apis.Auth only service accounts (a key, impersonation, the metadata server) mint ID tokens.</summary>
        private static IdTokensUnavailableException Unavailable(GoogleCredential credential) => new(credential.UnderlyingCredential switch
        {
            UserCredential => "user credentials (gcloud auth application-default login)",
            ExternalAccountCredential => "a workload identity federation configuration (external_account)",
            ExternalAccountAuthorizedUserCredential => "workforce identity user credentials (external_account_authorized_user)",
            var other => $"these credentials ({other.GetType().Name})",
        });

        private async Task<GoogleCredential> LoadAsync(CancellationToken cancellationToken) =>
            _credential ??= keyFile is null
                ? await GoogleCredential.GetApplicationDefaultAsync(cancellationToken)
                : await FromFileAsync(keyFile, cancellationToken);

        /// <summary>Runs a token request, turning what Google's library throws into one line with its exit code.</summary>
        /// <param name="what">What is asked for ("an access token"), for the message when the endpoint cannot be reached.</param>
        private async Task<T> GuardedAsync<T>(string what, Func<Task<T>> request, CancellationToken cancellationToken)
        {
            try
            {
                return await request();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is PlatformException or IdTokensUnavailableException)
            {
                throw;
            }
            catch (Google.Apis.Auth.OAuth2.Responses.TokenResponseException e)
            {
                throw new PlatformException(Short($"Google refused the credentials: {e.Error?.Error} {e.Error?.ErrorDescription}".TrimEnd()), 2);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                throw new PlatformException(Short($"could not reach the credentials' token endpoint to get {what}: {e.Message}"));
            }
            catch (Exception e)
            {
                // Google's loader and its credential kinds throw many exception types for one bad file
                // (a missing subject-token file, a key that is not a key, a field of the wrong kind):
                // each is a user's input problem, said in one line.
                var why = keyFile is null
                    ? $"Application Default Credentials: {FirstSentence(e.Message)}"
                    : $"cannot use {keyFile}: {(Directory.Exists(keyFile) ? "it is a directory" : FirstSentence(e.Message))}";
                throw new PlatformException($"no usable Google credentials ({why}); set GOOGLE_APPLICATION_CREDENTIALS to a credentials file (service-account key, workload identity federation, user or impersonation), run 'gcloud auth application-default login', or set GOOGLE_OAUTH_ACCESS_TOKEN", 2);
            }
        }

        private static string FirstSentence(string message) => Short(message.ReplaceLineEndings(" ").Split(". ")[0].TrimEnd('.'));

        /// <summary>At most 200 characters: an endpoint's description may echo what it was sent (a signed assertion).</summary>
        private static string Short(string text) => text.Length > 200 ? text[..200] + "…" : text;
    }
}
