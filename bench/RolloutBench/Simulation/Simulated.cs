using System.Globalization;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Engine.Rollout;

namespace RolloutBench.Simulation;

/// <summary>
/// Rollouts in process on a fake clock with generated request streams (<see cref="SimulatedPlatform"/>):
/// (c) healthy canaries — the canary errs and answers exactly as stable does — over at least WINDOWS analysis
///     windows per load: how many the runner rolls back (each is a false rollback), against the stage's α;
/// (d) a canary answering 5% of its requests with an error at the 5% stage — fake time from its first failed
///     request to the split back on stable, and the failed requests users saw.
/// Both beside the rule rollouts had before the sequential test (<see cref="FormerRule"/>), on streams generated alike.
/// </summary>
internal static class Simulated
{
    private const double Alpha = 0.05;

    /// <summary>A load, a window and the gates it is judged by; healthy revisions fail <see cref="ErrorRate"/> of their requests.</summary>
    private sealed record Load(string Name, double PerSecond, int WindowSeconds, string Gates, double ErrorRate, double MedianMs, double Sigma);

    private static readonly Load[] Loads =
    [
        new("1,000 req/s, 30 s windows, 40 ms median, gates: defaults + max-p99-regression 20%", 1_000, 30, "{ min-requests: 100, max-p99-regression: 20% }", 0.002, 40, 0.5),
        new("15,000 req/s, 10 s windows, 2 ms median, min-requests 50 (the bench's matrix)", 15_000, 10, "{ min-requests: 50 }", 0.002, 2, 0.5),
    ];

    public static async Task<int> RunAsync(int windows, int reactions)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"in process, fake clock, generated streams (Poisson arrivals, random split, log-normal latencies σ=0.5); {windows} windows per load, {reactions} failing canaries; α = {Alpha}"));
        var rows = new List<string>();
        var ok = true;
        foreach (var load in Loads)
        {
            var (judged, failed, byErrors, early, byLatency) = await HealthyAsync(load, windows);
            var (former, formerEarly) = FormerHealthy(load, judged);
            ok &= failed / (double)judged <= Alpha;
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| (c) healthy canary, {load.Name}, errors {load.ErrorRate * 100:0.#}% on both: windows rolled back | {failed} of {judged} = {Percent(failed, judged)} ({byErrors} on errors, {early} of them inside the window; {byLatency} on latency); {Percent(failed, judged)} / α = {failed / (double)judged / Alpha:0.00} | former rule, errors only: {former} of {judged} = {Percent(former, judged)} ({formerEarly} inside the window) |"));
        }

        var (now, usersSaw, formerTimes) = await ReactionAsync(reactions);
        rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"| (d) 5% error canary at the 5% stage, 15,000 req/s, min-requests 50: first failed request → split back on stable (fake time) | median {Median(now):0} ms (p90 {Quantile(now, 0.9):0} ms), failed requests users saw: median {Median(usersSaw):0} | former rule: median {Median(formerTimes):0} ms (p90 {Quantile(formerTimes, 0.9):0} ms); ratio {Median(now) / Median(formerTimes):0.00} |"));

        Console.WriteLine();
        Console.WriteLine("| scenario | now | before |");
        Console.WriteLine("|---|---|---|");
        rows.ForEach(Console.WriteLine);
        return ok ? 0 : 1;
    }

    /// <summary>Rollouts of healthy canaries until at least <paramref name="windows"/> windows were judged; counts those that failed.</summary>
    private static async Task<(int Judged, int Failed, int ByErrors, int Early, int ByLatency)> HealthyAsync(Load load, int windows)
    {
        using var rig = new Rig(load.Gates, load.WindowSeconds);
        var healthy = new Behaviour(load.ErrorRate, load.MedianMs, load.Sigma);
        int judged = 0, failed = 0, byErrors = 0, early = 0, byLatency = 0, seed = 0;
        while (judged < windows)
        {
            var outcome = await rig.RollOutAsync(rig.Platform(++seed, load.PerSecond, healthy, healthy));
            foreach (var stage in outcome.Stages.Where(s => s.Percent is not (0 or 100)))
            {
                judged++;
                if (stage.Verdict != Verdict.Pass)
                {
                    failed++;
                    byErrors += stage.Explanation.Contains("5xx rate:", StringComparison.Ordinal) || stage.Explanation.Contains("error count test:", StringComparison.Ordinal) ? 1 : 0;
                    early += stage.Explanation.Contains("the window stopped early", StringComparison.Ordinal) ? 1 : 0;
                    byLatency += stage.Explanation.Contains(" latency:", StringComparison.Ordinal) || stage.Explanation.Contains(" ceiling:", StringComparison.Ordinal) ? 1 : 0;
                }
            }
        }

        return (judged, failed, byErrors, early, byLatency);
    }

    /// <summary>The former rule's false rollbacks over as many windows, the three analysed stages in turn; and how many of them inside the window.</summary>
    private static (int Failed, int Early) FormerHealthy(Load load, int windows)
    {
        using var rig = new Rig(load.Gates, load.WindowSeconds);
        var healthy = new Behaviour(load.ErrorRate, load.MedianMs, load.Sigma);
        int failed = 0, early = 0;
        int[] stages = [5, 25, 50];
        for (var i = 0; i < windows; i++)
        {
            var platform = rig.Platform(1_000_000 + i, load.PerSecond, healthy, healthy);
            var (stopped, at, _) = FormerRule.Window(rig.Clock, platform, stages[i % 3], load.WindowSeconds, rig.Gates);
            failed += stopped ? 1 : 0;
            early += stopped && at < TimeSpan.FromSeconds(load.WindowSeconds) ? 1 : 0;
        }

        return (failed, early);
    }

    private static async Task<(List<double> Now, List<double> UsersSaw, List<double> Former)> ReactionAsync(int runs)
    {
        using var rig = new Rig("{ min-requests: 50 }", 10);
        Behaviour stable = new(0, 2, 0.5), faulty = new(0.05, 2, 0.5);
        List<double> now = [], usersSaw = [], former = [];
        for (var run = 1; run <= runs; run++)
        {
            var platform = rig.Platform(run, 15_000, stable, faulty);
            var outcome = await rig.RollOutAsync(platform);
            var back = platform.Splits.Last(s => s.Split is [{ Revision: "stable", Percent: 100 }]).At;
            if (outcome.End != RolloutEnd.Failed || platform.Of("canary").FirstFailedAt is not { } first)
            {
                throw new InvalidOperationException($"run {run}: the failing canary was not rolled back: {outcome.Reason}");
            }

            now.Add((back - first).TotalMilliseconds);
            usersSaw.Add(platform.Of("canary").Failed);

            var reference = rig.Platform(1_000_000 + run, 15_000, stable, faulty);
            var start = rig.Clock.GetUtcNow();
            var (failed, at, firstFailed) = FormerRule.Window(rig.Clock, reference, 5, 10, rig.Gates);
            if (failed && firstFailed is { } f)
            {
                former.Add((start + at - f).TotalMilliseconds);
            }
        }

        return (now, usersSaw, former);
    }

    private static string Percent(int part, int whole) => string.Create(CultureInfo.InvariantCulture, $"{part * 100.0 / whole:0.##}%");

    private static double Median(List<double> values) => Quantile(values, 0.5);

    private static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
    }
}
