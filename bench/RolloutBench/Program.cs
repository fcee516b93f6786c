using System.Globalization;
using RolloutBench;

// Canary rollouts on the local platform as users meet them, driven through the real launcher and
// agent with a constant load on the service's listener:
//   (a) a canary answering 5% of requests with 500 — how long from its first failed request until no
//       request reaches it any more, and how many failed requests users saw;
//   (b) a healthy canary walked through every stage — how many requests failed (the target is none).
// Usage: dotnet run -c Release --project bench/RolloutBench -- [WINDOW_SECONDS] [RUNS]
//
// With "simulate", rollouts in process instead, on a fake clock with generated request streams (see
// Simulation/Simulated.cs): (c) false rollbacks of healthy canaries over at least WINDOWS windows per load,
// against α; (d) the reaction to a 5% error canary at the 5% stage, in fake time; both beside the rule before.
// Usage: dotnet run -c Release --project bench/RolloutBench -- simulate [WINDOWS] [RUNS]
if (args.FirstOrDefault() == "simulate")
{
    return await RolloutBench.Simulation.Simulated.RunAsync(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1200,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200);
}

var window = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
if (!Example.CargoExists())
{
    Console.Error.WriteLine("cargo is missing; the example services are Rust (std only)");
    return 2;
}

await using var example = await Example.SetUpAsync();
Console.WriteLine($"window {window}s per stage, {runs} runs per scenario, {Environment.ProcessorCount} cores, load: {Load.Workers} workers back to back");

var failing = new List<Load.Summary>();
for (var run = 1; run <= runs; run++)
{
    var (stable, canary) = await example.StableAndCanaryAsync(faulty: true);
    await using var load = new Load(example.Url, canary);
    var rollout = await example.RolloutAsync(window);
    var summary = await load.StopAsync();
    failing.Add(summary);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  (a) run {run}: exit {rollout.ExitCode}, reaction {summary.ReactionMs:0} ms, failed {summary.Failed} of {summary.Total} requests ({summary.CanaryTotal} reached the canary); {rollout.Verdict}"));
    await example.ResetAsync(stable);
}

var healthy = new List<(Load.Summary Summary, double Seconds)>();
for (var run = 1; run <= runs; run++)
{
    var (stable, canary) = await example.StableAndCanaryAsync(faulty: false);
    await using var load = new Load(example.Url, canary);
    var started = System.Diagnostics.Stopwatch.StartNew();
    var rollout = await example.RolloutAsync(window);
    var summary = await load.StopAsync();
    healthy.Add((summary, started.Elapsed.TotalSeconds));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  (b) run {run}: exit {rollout.ExitCode}, {started.Elapsed.TotalSeconds:0.0} s, failed {summary.Failed} of {summary.Total} requests ({summary.CanaryTotal} served by the canary)"));
    await example.ResetAsync(stable);
}

Console.WriteLine();
Console.WriteLine("| scenario | median | runs |");
Console.WriteLine("|---|---:|---|");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| (a) 5% 5xx canary at the 5% stage: first failed request → no request reaches the canary | {Median(failing.Select(f => f.ReactionMs)):0} ms | {string.Join(", ", failing.Select(f => $"{f.ReactionMs:0}"))} ms |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| (a) failed requests users saw | {Median(failing.Select(f => (double)f.Failed)):0} of {Median(failing.Select(f => (double)f.Total)):0} | {string.Join(", ", failing.Select(f => f.Failed))} |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| (b) healthy canary 0→5→25→50→100 under load: failed requests | {Median(healthy.Select(h => (double)h.Summary.Failed)):0} of {Median(healthy.Select(h => (double)h.Summary.Total)):0} | {string.Join(", ", healthy.Select(h => h.Summary.Failed))} |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| (b) rollout duration | {Median(healthy.Select(h => h.Seconds)):0.0} s | {string.Join(", ", healthy.Select(h => $"{h.Seconds:0.0}"))} s |"));
return healthy.All(h => h.Summary.Failed == 0) ? 0 : 1;

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted[sorted.Length / 2];
}
