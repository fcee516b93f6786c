using System.Globalization;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Files;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Drill;

/// <summary>One drill step as step-results.jsonl records it (the seed's fields).</summary>
public sealed record DrillStep(string StepId, string Description, string Command, string Status, string Reason, string StartedAt, string EndedAt, string LogPath);

/// <summary>A step's span (seconds from the drill's start) and the split the platform reported at its end, for the timeline.</summary>
/// <param name="Percent">The canary's share the step set: 0 for the rollback, null for a status step.</param>
public sealed record DrillSample(string StepId, int? Percent, double StartSeconds, double EndSeconds, IReadOnlyDictionary<string, int> Traffic);

/// <summary>
/// What one revision served between two reads of the platform's metrics, for the timeline: the share of its
/// requests that failed (5xx and undeliverable, %) and their 95th percentile latency (ms, the upper bound of its bucket).
/// </summary>
/// <param name="Seconds">When the window ended, from the drill's start.</param>
public sealed record DrillMeasurement(double Seconds, string Revision, long Requests, double ErrorRatePercent, double P95Ms);

/// <param name="DryRun">True for <c>--dry-run</c>: the steps were written, not run.</param>
public sealed record DrillResult(IReadOnlyList<DrillStep> Steps, IReadOnlyList<DrillSample> Samples, string Stable, string Canary, bool DryRun = false)
{
    public bool Passed => Steps.All(s => s.Status == "pass");

    /// <summary>Error rate and p95 latency of the stable and canary revisions, window by window, in time order.</summary>
    public IReadOnlyList<DrillMeasurement> Measurements { get; init; } = [];
}

/// <summary>
/// The seed's canary drill on any platform: status-pre, traffic-N for each step, rollback, status-post.
/// A failed step is recorded and the drill goes on, so the report shows everything that happened.
/// </summary>
public sealed class DrillRunner(IPlatform platform, TimeProvider time)
{
    /// <summary>How often live counters are read during a step's dwell: every second, so the timeline shows how errors and latency moved within a step.</summary>
    public static readonly TimeSpan MeasureEvery = TimeSpan.FromSeconds(1);

    public static IReadOnlyList<(string Id, string Description, int? Percent)> StepsFor(IReadOnlyList<int> percents) =>
    [
        ("status-pre", "record traffic and revisions before the drill", null),
        .. percents.Select(p => ($"traffic-{p}", $"shift {p}% of traffic to the canary and verify it", (int?)p)),
        ("rollback", "send all traffic back to the stable revision and verify it", 0),
        ("status-post", "record traffic and revisions after the drill", null),
    ];

    /// <summary>The command a step stands for, as step-results.jsonl records it: a status read (no percent), the rollback (0) or a split.</summary>
    public static string CommandFor(ResolvedTarget target, int? percent, string stable, string canary) => percent switch
    {
        null => $"deploymatrix status {target.Lane} --env {target.Environment}",
        0 => $"deploymatrix rollback {target.Lane} --env {target.Environment} --to {stable}",
        _ => $"deploymatrix traffic {target.Lane} --env {target.Environment} --to {stable}={100 - percent},{canary}={percent}",
    };

    /// <summary>The split a traffic step sets: all to stable at 0, all to canary at 100, else both.</summary>
    public static IReadOnlyList<(T Revision, int Percent)> SplitFor<T>(int percent, T stable, T canary) => percent switch
    {
        0 => [(stable, 100)],
        100 => [(canary, 100)],
        _ => [(stable, 100 - percent), (canary, percent)],
    };

    public async Task<DrillResult> RunAsync(ResolvedTarget target, string stable, string canary, IReadOnlyList<int> percents, TimeSpan dwell, string outDir, CancellationToken ct)
    {
        SafeFile.RefuseLinkedFolder(outDir);
        SafeFile.CreateFolder(Path.Combine(outDir, "logs"));
        var start = time.GetUtcNow();
        var steps = new List<DrillStep>();
        var samples = new List<DrillSample>();
        var measurements = new List<DrillMeasurement>();
        var previous = await MetricsNowAsync(target, ct);
        async Task MeasureAsync()
        {
            var now = await MetricsNowAsync(target, ct);
            measurements.AddRange(Measure(now, previous, [stable, canary], (time.GetUtcNow() - start).TotalSeconds));
            previous = now;
        }

        foreach (var (id, description, percent) in StepsFor(percents))
        {
            var log = Path.Combine(outDir, "logs", $"{id}.log");
            var started = time.GetUtcNow();
            var lines = new List<string>();
            string status = "pass", reason = "ok";
            var command = CommandFor(target, percent, stable, canary);
            try
            {
                if (percent is { } p)
                {
                    await platform.SetTrafficAsync(target, [.. SplitFor(p, stable, canary).Select(s => new TrafficAssignment(s.Revision, s.Percent))], ct);
                    var service = await platform.GetServiceAsync(target, ct);
                    var actual = service.Traffic.FirstOrDefault(t => t.Revision == (p == 0 ? stable : canary))?.Percent ?? 0;
                    var expected = p == 0 ? 100 : p;
                    lines.Add($"traffic now {PlanExecutor.FormatTraffic(service.Traffic)}");
                    if (actual != expected)
                    {
                        (status, reason) = ("fail", $"expected {expected}% on {(p == 0 ? stable : canary)}, found {actual}%");
                    }

                    await DwellAsync(dwell, MeasureAsync, ct);
                }
                else
                {
                    var service = await platform.GetServiceAsync(target, ct);
                    lines.Add($"traffic {PlanExecutor.FormatTraffic(service.Traffic)}; latest created {service.LatestCreatedRevision}; latest ready {service.LatestReadyRevision}");
                    foreach (var revision in service.Revisions)
                    {
                        lines.Add($"  {revision.Name} {revision.Status} {revision.Image}");
                    }
                }
            }
            catch (PlatformException e)
            {
                (status, reason) = ("fail", e.Message);
            }

            await MeasureAsync();
            var traffic = (await platform.GetServiceAsync(target, ct)).Traffic.ToDictionary(t => t.Revision, t => t.Percent, StringComparer.Ordinal);
            samples.Add(new DrillSample(id, percent, (started - start).TotalSeconds, (time.GetUtcNow() - start).TotalSeconds, traffic));
            lines.Add($"=> {status}: {reason}");
            SafeFile.Write(log, string.Concat(lines.Select(l => l + "\n")));
            steps.Add(new DrillStep(id, description, command, status, reason, Stamp(started), Stamp(time.GetUtcNow()), Path.GetRelativePath(outDir, log)));
        }

        return new DrillResult(steps, samples, stable, canary) { Measurements = measurements };
    }

    /// <summary>Waits out a step's dwell; with live counters it reads them every <see cref="MeasureEvery"/> meanwhile (periodic metrics, minutes behind, would show nothing new).</summary>
    private async Task DwellAsync(TimeSpan dwell, Func<Task> measure, CancellationToken ct)
    {
        var until = time.GetUtcNow() + dwell;
        while (time.GetUtcNow() < until)
        {
            var left = until - time.GetUtcNow();
            var pause = platform.MetricsCadence.IsLive && left > MeasureEvery ? MeasureEvery : left;
            await Task.Delay(pause, time, ct);
            if (time.GetUtcNow() < until)
            {
                await measure();
            }
        }
    }

    /// <summary>What the platform's metrics show now: live counters, or Cloud Monitoring's visible periods (minutes behind, so a short dwell shows none).</summary>
    private Task<IReadOnlyDictionary<string, Core.Analysis.RevisionSample>> MetricsNowAsync(ResolvedTarget target, CancellationToken ct) =>
        platform.GetRevisionMetricsAsync(target, platform.MetricsCadence.VisibleUntil(time.GetUtcNow()), ct);

    /// <summary>What each of the drill's revisions served between two reads of the cumulative counters; nothing for a revision that served no request.</summary>
    private static IEnumerable<DrillMeasurement> Measure(IReadOnlyDictionary<string, Core.Analysis.RevisionSample> now, IReadOnlyDictionary<string, Core.Analysis.RevisionSample> before, string[] revisions, double seconds)
    {
        foreach (var name in revisions.Distinct(StringComparer.Ordinal))
        {
            var served = Rollout.StageAnalysis.Delta(now, before, name);
            if (served.Requests > 0)
            {
                yield return new DrillMeasurement(seconds, name, served.Requests, 100.0 * served.Failed / served.Requests, served.P95Ms);
            }
        }
    }

    private static string Stamp(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);
}
