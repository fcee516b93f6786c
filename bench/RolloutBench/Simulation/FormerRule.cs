using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;

namespace RolloutBench.Simulation;

/// <summary>
/// The error rule rollouts used before the sequential test, for comparison on streams generated alike: a look
/// every second failing a stage when the 5xx gate and Fisher's exact test at α = 0.001 both fail (with the minimum
/// sample), and at the window's end the 5xx gate or Fisher's test at α = 0.05.
/// </summary>
internal static class FormerRule
{
    private const double EarlyAlpha = 0.001;
    private const double EndAlpha = 0.05;

    /// <summary>Runs one window of <paramref name="seconds"/> at the canary's share on a fresh stream; returns whether its errors failed it, and after how long.</summary>
    public static (bool Failed, TimeSpan At, DateTimeOffset? FirstFailedAt) Window(BenchClock clock, SimulatedPlatform platform, int percent, int seconds, RolloutGates gates)
    {
        platform.SetTrafficAsync(null!, [new("stable", 100 - percent), new("canary", percent)], CancellationToken.None);
        var start = platform.Samples();
        for (var second = 1; second <= seconds; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            var now = platform.Samples();
            var (canary, stable) = (Since(now, start, "canary"), Since(now, start, "stable"));
            var judgeable = canary.Requests >= gates.MinRequests && stable.Requests >= gates.MinRequests;
            var gate = canary.FailureRate * 100 >= gates.Max5xxRatePercent;
            var p = FisherExact.CanaryWorse(canary.Failed, canary.Requests, stable.Failed, stable.Requests);
            var worse = canary.FailureRate > stable.FailureRate;
            var failed = second < seconds
                ? judgeable && gate && worse && p < EarlyAlpha
                : judgeable && (gate || (worse && p < EndAlpha));
            if (failed)
            {
                return (true, TimeSpan.FromSeconds(second), platform.Of("canary").FirstFailedAt);
            }
        }

        return (false, TimeSpan.FromSeconds(seconds), platform.Of("canary").FirstFailedAt);
    }

    private static RevisionSample Since(IReadOnlyDictionary<string, RevisionSample> now, IReadOnlyDictionary<string, RevisionSample> start, string revision)
    {
        var end = now.GetValueOrDefault(revision);
        var begin = start.GetValueOrDefault(revision);
        return new RevisionSample(revision, (end?.Requests ?? 0) - (begin?.Requests ?? 0), (end?.Failed ?? 0) - (begin?.Failed ?? 0), [], [1]);
    }
}
