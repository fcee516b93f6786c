using DeployMatrix.CloudRun.Api;
using DeployMatrix.Core.Model;
using DeployMatrix.CloudRun.Build;
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
/// </list>
/// </summary>
public static class CloudRunConnection
{
    public const string TokenVariable = "GOOGLE_OAUTH_ACCESS_TOKEN";
    public const string EndpointVariable = "DEPLOYMATRIX_GOOGLE_API_URL";

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
        ITokenSource tokens = environment(TokenVariable) is { Length: > 0 } token
            ? new StaticToken(token)
            : new ApplicationDefaultToken(environment("GOOGLE_APPLICATION_CREDENTIALS") is { Length: > 0 } keyFile ? keyFile : null);
        _ = await tokens.GetAccessTokenAsync(cancellationToken);
        return new Connection(new GoogleHttp(Http, tokens, time: time), tokens, endpoints, time);
    }

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

    private sealed record Connection(GoogleHttp Http, ITokenSource Tokens, GoogleEndpoints Endpoints, TimeProvider Time)
    {
        public CloudRunPlatform Platform() => new(new RunApi(Http, Endpoints, Time), new MonitoringApi(Http, Endpoints), new SecretManagerApi(Http, Endpoints), Time);

        public CloudBuilder Builder(string sourceDirectory, Engine.Git.GitInfo git) => new(new StorageApi(Tokens, Endpoints), new CloudBuildApi(Http, Endpoints, Time), Time, sourceDirectory, git);
    }

    private sealed class StaticToken(string token) : ITokenSource
    {
        public Task<string> GetAccessTokenAsync(CancellationToken cancellationToken) => Task.FromResult(token);
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

    /// <summary>Application Default Credentials, scoped for Cloud Platform; loaded once, refreshed by the library.</summary>
    private sealed class ApplicationDefaultToken(string? keyFile) : ITokenSource
    {
        private ITokenAccess? _credential;

        public async Task<string> GetAccessTokenAsync(CancellationToken cancellationToken)
        {
            try
            {
                if (_credential is null)
                {
                    var credential = keyFile is null
                        ? await GoogleCredential.GetApplicationDefaultAsync(cancellationToken)
                        : await FromFileAsync(keyFile, cancellationToken);
                    _credential = credential.CreateScoped("https://www.googleapis.com/auth/cloud-platform");
                }

                var token = await _credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);
                return string.IsNullOrEmpty(token)
                    ? throw new PlatformException("Google's token endpoint answered without an access token; check the credentials' token_url/token_uri", 2)
                    : token;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (PlatformException)
            {
                throw;
            }
            catch (Google.Apis.Auth.OAuth2.Responses.TokenResponseException e)
            {
                throw new PlatformException(Short($"Google refused the credentials: {e.Error?.Error} {e.Error?.ErrorDescription}".TrimEnd()), 2);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                throw new PlatformException(Short($"could not reach the credentials' token endpoint to get an access token: {e.Message}"));
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
