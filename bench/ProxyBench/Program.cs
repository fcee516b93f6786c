using System.Globalization;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Local.Proxy;
using DeployMatrix.Local.Supervisor;
using ProxyBench;

// Requests/s and latency through the front doors to the same two backends (the example's Rust
// control service), measured with wrk in one run: direct to one backend (the limit), our proxy (the
// agent's listener: Kestrel and YARP's forwarder with our rules, metrics and a 90/10 weighted wheel),
// nginx with the same 90/10 weighted upstream, and two floors: Kestrel answering alone, and YARP's
// forwarder with nothing of ours (what our middleware costs is the gap between it and our proxy).
// Rounds alternate the candidates so drift on a noisy machine hits all of them alike; medians are reported.
// A second part paces the same connections (each waits PAUSE_MS after every answer), so every front
// door carries about the same load below saturation: latency there is the front door's own cost.
// Usage: dotnet run -c Release --project bench/ProxyBench -- [SECONDS] [CONNECTIONS] [ROUNDS] [PAUSE_MS]
// The proxy runs here as it runs in the agent: with inline socket completions, set before any socket opens.
Environment.SetEnvironmentVariable(ServiceProxy.InlineCompletionsVariable, "1");
var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var connections = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
var pauseMs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2;
foreach (var tool in new[] { "wrk", "nginx", "cargo" })
{
    if (!Tools.Exists(tool))
    {
        Console.Error.WriteLine($"{tool} is missing; install with: apt-get install -y nginx-light wrk (cargo comes with the Rust toolchain)");
        return 2;
    }
}

var binary = Tools.BuildExample();
var work = Directory.CreateTempSubdirectory("dm-proxy-bench-").FullName;
var backends = new List<ChildProcess>();
var processes = new ProcessRunner(TimeProvider.System);
var ports = new List<int>();
for (var i = 0; i < 2; i++)
{
    var port = Ports.Free();
    backends.Add(processes.Start(new LaunchSpec { Executable = binary, WorkingDirectory = work }.Process(new Dictionary<string, string> { ["PORT"] = port.ToString(CultureInfo.InvariantCulture) }, System.IO.Path.Combine(work, $"backend-{i}.log"), TimeSpan.FromSeconds(5))));
    ports.Add(port);
}

foreach (var (backend, port) in backends.Zip(ports))
{
    if (await Readiness.WaitAsync(backend, port, "/readyz", DeployMatrix.Core.Model.ServingProtocol.Http1, TimeSpan.FromSeconds(10), TimeProvider.System, CancellationToken.None) is { } problem)
    {
        Console.Error.WriteLine($"backend not ready: {problem}");
        return 1;
    }
}

await using var proxy = await ServiceProxy.StartAsync("bench", "control", 0, CancellationToken.None);
proxy.SetWheel(TrafficWheel.Build([(new RevisionEndpoint("a", ports[0]), 90), (new RevisionEndpoint("b", ports[1]), 10)]));
await using var nginx = await Nginx.StartAsync(work, ports[0], ports[1]);
await using var kestrel = await KestrelAlone.StartAsync();
await using var yarp = await YarpAlone.StartAsync(ports[0], ports[1]);

const string RequestPath = "/api/v1/control/status";
var candidates = new (string Name, int Port)[]
{
    ("direct (one backend)", ports[0]),
    ("deploymatrix proxy (90/10)", proxy.Port),
    ("nginx (90/10)", nginx.Port),
    ("kestrel alone, no forwarding (front-end floor)", kestrel.Port),
    ("YARP forwarder alone, nothing of ours (90/10)", yarp.Port),
};
var saturated = await MeasureAsync($"wrk -t2 -c{connections} -d{seconds}s --latency (saturation: each connection sends its next request at once)", 0);
Report(saturated);
var paced = await MeasureAsync($"the same with a {pauseMs} ms pause after every answer (paced: about equal load below saturation)", pauseMs);
Report(paced);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"\ndeploymatrix proxy vs nginx: {Median(saturated[candidates[1].Name], x => x.RequestsPerSecond) / Median(saturated[candidates[2].Name], x => x.RequestsPerSecond):F2}× throughput; " +
    $"p99 at saturation {Median(saturated[candidates[1].Name], x => x.P99Ms):F2} vs {Median(saturated[candidates[2].Name], x => x.P99Ms):F2} ms; " +
    $"p99 paced {Median(paced[candidates[1].Name], x => x.P99Ms):F2} vs {Median(paced[candidates[2].Name], x => x.P99Ms):F2} ms"));

foreach (var backend in backends)
{
    await backend.DisposeAsync();
}

return 0;

async Task<Dictionary<string, List<WrkResult>>> MeasureAsync(string title, int pause)
{
    Console.WriteLine($"{title}; {rounds} rounds, {Environment.ProcessorCount} cores; path {RequestPath}");
    var results = candidates.ToDictionary(c => c.Name, _ => new List<WrkResult>());
    for (var round = 0; round < rounds; round++)
    {
        foreach (var (name, port) in round % 2 == 0 ? candidates : candidates.Reverse())
        {
            await Wrk.RunAsync(port, RequestPath, 2, connections, 5, pause); // warm-up: lets tiered JIT settle
            var result = await Wrk.RunAsync(port, RequestPath, 2, connections, seconds, pause);
            results[name].Add(result);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {round + 1} {name}: {result.RequestsPerSecond:F0} req/s, p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, errors {result.Errors}"));
        }
    }

    return results;
}

void Report(Dictionary<string, List<WrkResult>> results)
{
    var direct = Median(results[candidates[0].Name], r => r.RequestsPerSecond);
    Console.WriteLine();
    Console.WriteLine("| front door | req/s (median) | p50 ms | p99 ms | errors | × direct req/s |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|");
    foreach (var (name, _) in candidates)
    {
        var r = results[name];
        var rps = Median(r, x => x.RequestsPerSecond);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {rps:F0} | {Median(r, x => x.P50Ms):F2} | {Median(r, x => x.P99Ms):F2} | {r.Sum(x => x.Errors)} | {rps / direct:F2} |"));
    }

    Console.WriteLine();
}

static double Median(List<WrkResult> values, Func<WrkResult, double> pick)
{
    var sorted = values.Select(pick).Order().ToArray();
    return sorted[sorted.Length / 2];
}
