using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using DashboardBench;

// The dashboard's page load with a generated 50-lane × 2-environment matrix on the local platform (a few lanes
// deployed, the agent running): GET / (the matrix page), GET /api/matrix (the same read as JSON) and the CLI's
// `status --output json` (the same platform read in a new process), side by side in one run.
// Usage: dotnet run -c Release --project bench/DashboardBench -- [REQUESTS] [LANES] [DEPLOYED]
var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
var lanes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
var deployed = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
var cli = FindLauncher() ?? throw new InvalidOperationException("run ./deploymatrix --help once to build the CLI");
var root = Path.Combine(Path.GetTempPath(), $"dm-dashboard-bench-{Environment.ProcessId}");
BenchMatrix.Write(root, lanes, firstPort: 31000);
Console.WriteLine($"matrix: {lanes} lanes × 2 environments, {deployed} lanes deployed to staging; {requests} requests each after 20 warm-up; {Environment.ProcessorCount} cores");

Process? dashboard = null;
try
{
    Cli.Run(cli, root, "agent", "start");
    for (var i = 1; i <= deployed; i++)
    {
        Cli.Run(cli, root, "build", BenchMatrix.Name(i), "--tag", "t1");
        Cli.Run(cli, root, "deploy", BenchMatrix.Name(i), "--env", "staging", "--tag", "t1");
    }

    dashboard = Cli.Start(cli, root, "dashboard", "--port", "0");
    var (url, token) = await PrintedUrlAsync(dashboard);
    using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    var page = await http.GetStringAsync("/");
    Console.WriteLine($"GET / : {page.Length / 1024} KiB of HTML, {Regex.Count(page, "data-lane=")} lane rows");

    // Interleaved, so both endpoints see the same machine load.
    var pageTimes = new List<double>();
    var apiTimes = new List<double>();
    for (var i = -20; i < requests; i++)
    {
        var p = await TimeAsync(http, "/");
        var a = await TimeAsync(http, "/api/matrix");
        if (i >= 0)
        {
            pageTimes.Add(p);
            apiTimes.Add(a);
        }
    }

    var statusRuns = Math.Min(requests, 20);
    var statusTimes = new List<double>();
    Cli.Run(cli, root, "status", "--output", "json");
    for (var i = 0; i < statusRuns; i++)
    {
        var watch = Stopwatch.StartNew();
        Cli.Run(cli, root, "status", "--output", "json");
        statusTimes.Add(watch.Elapsed.TotalMilliseconds);
    }

    Console.WriteLine();
    Console.WriteLine("| measurement | runs | median ms | p95 ms | max ms |");
    Console.WriteLine("|---|---:|---:|---:|---:|");
    Row("GET / (matrix page)", pageTimes);
    Row("GET /api/matrix", apiTimes);
    Row("process: deploymatrix status --output json", statusTimes);
}
finally
{
    if (dashboard is not null)
    {
        dashboard.Kill(entireProcessTree: true);
        await dashboard.WaitForExitAsync();
    }

    Cli.Run(cli, root, "agent", "stop", check: false);
    Directory.Delete(root, recursive: true);
}

return 0;

static async Task<double> TimeAsync(HttpClient http, string path)
{
    var watch = Stopwatch.StartNew();
    using var response = await http.GetAsync(path);
    await response.Content.ReadAsByteArrayAsync();
    response.EnsureSuccessStatusCode();
    return watch.Elapsed.TotalMilliseconds;
}

static void Row(string name, List<double> samples)
{
    samples.Sort();
    double P(double q) => samples[Math.Max(0, (int)Math.Ceiling(samples.Count * q) - 1)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {samples.Count} | {P(0.5):F1} | {P(0.95):F1} | {samples[^1]:F1} |"));
}

static async Task<(string Url, string Token)> PrintedUrlAsync(Process dashboard)
{
    var pattern = new Regex(@"(?<base>http://127\.0\.0\.1:\d+)/\?token=(?<token>[0-9a-f]{64})");
    var read = Task.Run(async () =>
    {
        while (await dashboard.StandardOutput.ReadLineAsync() is { } line)
        {
            if (pattern.Match(line) is { Success: true } m)
            {
                return (m.Groups["base"].Value, m.Groups["token"].Value);
            }
        }

        throw new InvalidOperationException("the dashboard exited before printing its URL: " + await dashboard.StandardError.ReadToEndAsync());
    });
    return await read.WaitAsync(TimeSpan.FromSeconds(30));
}

static string? FindLauncher()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "DeployMatrix.slnx")))
        {
            var dll = Path.Combine(dir.FullName, "artifacts", "launcher", "deploymatrix.dll");
            return File.Exists(dll) ? dll : null;
        }
    }

    return null;
}
