using DeployMatrix.CloudRun.Api;
using DeployMatrix.Tests.GoogleDouble;

namespace DeployMatrix.CloudRun.Tests.Support;

/// <summary>
/// The Cloud Run double and the clients pointed at it, retrying and polling in milliseconds. Disposing
/// it fails the test if the double saw a call or gave an answer outside Google's API definitions.
/// </summary>
public sealed class DoubleConnection : IAsyncDisposable
{
    private readonly HttpClient _http = new();
    private readonly GoogleHttp _google;
    private readonly GoogleEndpoints _endpoints;

    private DoubleConnection(CloudRunDouble fake)
    {
        Fake = fake;
        _google = new GoogleHttp(_http, new FixedToken(), firstRetryDelay: TimeSpan.FromMilliseconds(10));
        _endpoints = GoogleEndpoints.All(fake.BaseUri);
        Run = RunApi();
        Platform = PlatformWith(new FixedToken(), TimeProvider.System);
    }

    public CloudRunDouble Fake { get; }

    public RunApi Run { get; }

    public CloudRunPlatform Platform { get; }

    public static async Task<DoubleConnection> StartAsync() => new(await CloudRunDouble.StartAsync());

    /// <summary>The platform on the double, with these credentials for services' ID tokens and this clock.</summary>
    /// <remarks>Cloud Logging answers two entries a page, so a log probe's paging is exercised by a handful of entries.</remarks>
    public CloudRunPlatform PlatformWith(Invoker.IIdTokenSource idTokens, TimeProvider time, IReadOnlyDictionary<string, Uri>? domains = null) =>
        new(Run, new MonitoringApi(_google, _endpoints), new SecretManagerApi(_google, _endpoints), new Invoker.InvokerCredentials(Run, idTokens, time), new CloudRunPreflight(Run, new ArtifactRegistryApi(_google, _endpoints)), time)
        {
            Logging = Logging(),
            DomainEndpoints = domains ?? new Dictionary<string, Uri>(),
        };

    /// <summary>Another client of the double, e.g. with a short bound on waiting for operations.</summary>
    public RunApi RunApi(TimeSpan? operationTimeout = null) => new(_google, _endpoints, TimeProvider.System)
    {
        FirstPoll = TimeSpan.FromMilliseconds(10),
        OperationTimeout = operationTimeout ?? TimeSpan.FromMinutes(1),
    };

    /// <summary>Cloud Build of <paramref name="source"/> through the double, polling the build and its log (and waiting for Cloud Logging's last lines) in milliseconds.</summary>
    /// <remarks>Cloud Logging answers two entries a page, so a build's log read from there pages too.</remarks>
    public Build.CloudBuilder Builder(string source, TimeSpan? buildTimeout = null, TimeSpan? logReadTimeout = null) => new(
        new StorageApi(new FixedToken(), _endpoints, _google),
        new CloudBuildApi(_google, _endpoints, TimeProvider.System) { FirstPoll = TimeSpan.FromMilliseconds(10), BuildTimeout = buildTimeout ?? TimeSpan.FromMinutes(1) },
        Logging(),
        TimeProvider.System,
        source,
        new Engine.Git.GitInfo(new Engine.Processes.ProcessRunner(TimeProvider.System)))
    {
        LogPoll = TimeSpan.FromMilliseconds(10),
        LogReadTimeout = logReadTimeout ?? Build.BuildLogTail.DefaultReadTimeout,
        CloudLoggingLag = TimeSpan.FromMilliseconds(10),
    };

    /// <summary>Cloud Logging through the double, two entries a page unless told.</summary>
    public LoggingApi Logging(int pageSize = 2) => new(_google, _endpoints) { PageSize = pageSize };

    /// <summary>Cloud Storage through the double (a build's log read from an offset).</summary>
    public StorageApi Storage() => new(new FixedToken(), _endpoints, _google);

    public async ValueTask DisposeAsync()
    {
        Assert.True(Fake.Problems.IsEmpty, string.Join("\n", Fake.Problems));
        _http.Dispose();
        await Fake.DisposeAsync();
    }
}
