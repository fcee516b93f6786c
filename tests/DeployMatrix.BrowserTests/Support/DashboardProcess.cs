using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using DeployMatrix.FunctionalTests.Support;

namespace DeployMatrix.BrowserTests.Support;

/// <summary>The real <c>deploymatrix dashboard</c> as its own process, on a free port, in an example's copy (the browser tests' and the team-mode tests').</summary>
public sealed partial class DashboardProcess : IAsyncDisposable
{
    private readonly CliProcess _cli;

    private DashboardProcess(CliProcess cli, Uri baseUrl, string token)
    {
        _cli = cli;
        BaseUrl = baseUrl;
        Token = token;
    }

    /// <summary>Where it listens, e.g. http://127.0.0.1:41234.</summary>
    public Uri BaseUrl { get; }

    public string Token { get; }

    /// <summary>The URL it printed: the token in the query, as a person opens it once.</summary>
    public string OpenUrl => $"{BaseUrl}?token={Token}";

    public string Out => _cli.Out;

    /// <summary>On the local platform, with this process's environment.</summary>
    public static Task<DashboardProcess> StartAsync(string directory) => StartAsync(directory, new Dictionary<string, string>(), "local");

    /// <param name="env">Added to its environment (the Google API double's address, a shared store's URL).</param>
    /// <param name="platform">local or cloudrun, as <c>--platform</c>.</param>
    public static async Task<DashboardProcess> StartAsync(string directory, IReadOnlyDictionary<string, string> env, string platform)
    {
        var cli = CliProcess.Start(directory, env, ["--platform", platform, "dashboard", "--port", "0"]);
        for (var i = 0; i < 300; i++)
        {
            if (PrintedUrl().Match(cli.Out) is { Success: true } m)
            {
                return new DashboardProcess(cli, new Uri(m.Groups["base"].Value + "/"), m.Groups["token"].Value);
            }

            await Task.Delay(100);
        }

        await cli.DisposeAsync();
        throw new TimeoutException($"the dashboard printed no URL within 30 s\n--- stdout\n{cli.Out}\n--- stderr\n{cli.Err}");
    }

    /// <summary>An HTTP client that sends the token as a bearer, as a script would.</summary>
    public HttpClient Client(bool withToken = true)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        if (withToken)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        return http;
    }

    public ValueTask DisposeAsync() => _cli.DisposeAsync();

    [GeneratedRegex(@"dashboard on (?<base>http://127\.0\.0\.1:\d+)/\?token=(?<token>[0-9a-f]{64})")]
    private static partial Regex PrintedUrl();
}
