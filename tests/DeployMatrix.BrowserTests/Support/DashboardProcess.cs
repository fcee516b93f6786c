using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using DeployMatrix.FunctionalTests.Support;

namespace DeployMatrix.BrowserTests.Support;

/// <summary>The real <c>deploymatrix dashboard</c> as its own process, on a free port, in an example's copy.</summary>
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

    public static async Task<DashboardProcess> StartAsync(string directory, params string[] extra)
    {
        var cli = CliProcess.Start(directory, ["--platform", "local", .. extra, "dashboard", "--port", "0"]);
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
