using System.Globalization;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Rollout;

/// <summary>How a stage's window ended: its verdict, or the request a person left meanwhile; and which periods it judged.</summary>
internal sealed record StageJudgement(AnalysisResult? Result, RolloutControlRequest? Control, string Judged);

/// <summary>
/// One stage's analysis window: waits it out (extending it while inconclusive), looks at the canary as often as
/// the platform's metrics allow, stops it early for a canary that clearly errs, and judges the whole window at its
/// end; a person's request (pause, abort, promote) ends it at once.
/// </summary>
/// <remarks>
/// Live counters are looked at every <see cref="Look"/> (0.1 s) by the sequential error test
/// (<see cref="CanaryAnalysis.EarlyFailure"/>), whose chance of ever stopping a healthy canary is bounded however
/// often it looks; periodic metrics (Cloud Monitoring) once a period becomes visible. Passing and latency wait for
/// the window's end. Fisher's test is spent at the first end with the minimum sample; the ends of extensions judge
/// errors by the sequential test, so a window's errors, over all its looks and ends, fail a canary that errs as
/// stable does with a chance of at most <see cref="AnalysisOptions.Alpha"/>.
/// </remarks>
internal sealed class StageAnalysis(IPlatform platform, TimeProvider time, IRolloutReporter reporter, Func<RolloutControlRequest?> takeControl)
{
    /// <summary>How often live counters are looked at: 0.1 s, so a canary that clearly errs is stopped within a few tenths of a second.</summary>
    public static readonly TimeSpan Look = TimeSpan.FromMilliseconds(100);

    // The live view's figures once a second: enough for a person, and within Cloud Monitoring's read quota.
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Waits the window (extending it while inconclusive) and analyses; or returns the request a person left meanwhile.
    /// The stage is judged on what the platform's metrics can vouch for (<see cref="MetricsCadence"/>): from the
    /// first period boundary after the split was set to the last one inside the window, read once visible —
    /// on Cloud Monitoring the split is held up to its delay past the window, so the last minutes are judged too.
    /// </summary>
    public async Task<StageJudgement> RunAsync(long id, RolloutRequest request, int index, DateTimeOffset splitAt, CancellationToken ct)
    {
        var percent = request.Policy.Stages[index];
        var window = request.Window ?? request.Policy.Window;
        var gates = request.Policy.Gates;
        var cadence = platform.MetricsCadence;
        var from = cadence.PeriodStartFrom(splitAt);
        IReadOnlyDictionary<string, RevisionSample>? before = null;
        var seen = from;
        var ends = splitAt;
        var extensions = 0;
        var options = new AnalysisOptions();
        while (true)
        {
            ends += window;
            var until = cadence.PeriodEndBefore(ends);
            reporter.Stage(percent, string.Create(CultureInfo.InvariantCulture, $"canary at {percent}%, analysing for {window.TotalSeconds:0.#} s{Judged(cadence, from, until)}"));
            var nextControl = time.GetUtcNow() + RolloutRunner.ControlPoll;
            var nextProgress = time.GetUtcNow() + ProgressEvery;
            var waitingNoted = false;
            while (true)
            {
                var now = time.GetUtcNow();
                var visible = cadence.VisibleUntil(now);
                if (before is null && visible >= from)
                {
                    before = await platform.GetRevisionMetricsAsync(request.Target, from, ct);
                }

                if (now >= ends && visible >= until)
                {
                    break;
                }

                if (now >= ends && !waitingNoted)
                {
                    waitingNoted = true;
                    reporter.Stage(percent, string.Create(CultureInfo.InvariantCulture,
                        $"window over; holding the split until the metrics up to {until:HH:mm:ss}Z are visible (up to {cadence.Delay.TotalSeconds:0} s)"));
                }

                // Waits for the window's end, then for its last period to become visible.
                var next = now < ends ? ends : until + cadence.Delay;
                var left = next - now;
                var pause = cadence.IsLive ? Look : RolloutRunner.ControlPoll;
                await Task.Delay(left < pause ? left : pause, time, ct);
                now = time.GetUtcNow();
                if (now >= nextControl)
                {
                    nextControl = now + RolloutRunner.ControlPoll;
                    if (takeControl() is { } control)
                    {
                        return new StageJudgement(null, control, "");
                    }
                }

                // Live counters at every look; periodic ones when another period became visible.
                var upTo = cadence.IsLive ? now : Min(cadence.VisibleUntil(now), until);
                if (before is null || (!cadence.IsLive && upTo <= seen))
                {
                    continue;
                }

                seen = upTo;
                var current = await platform.GetRevisionMetricsAsync(request.Target, upTo, ct);
                var (stableSoFar, canarySoFar) = (Delta(current, before, request.Stable), Delta(current, before, request.Canary));
                if (now >= nextProgress || !cadence.IsLive)
                {
                    // On the second, unless the looks fell behind by more than one: then a second from now.
                    nextProgress = nextProgress + ProgressEvery > now ? nextProgress + ProgressEvery : now + ProgressEvery;
                    reporter.Progress(new RolloutProgress(id, percent, index, request.Policy.Stages, request.Stable, request.Canary,
                        stableSoFar, canarySoFar, Max(ends - now, TimeSpan.Zero)));
                }

                // A canary that clearly errs is not given the rest of the window to hurt users.
                if (CanaryAnalysis.EarlyFailure(canarySoFar, stableSoFar, gates, options) is { } early)
                {
                    return new StageJudgement(early, null, Judged(cadence, from, Min(upTo, until)));
                }
            }

            // A window shorter than one whole period (refused on Cloud Run by validate) has nothing to judge.
            before ??= new Dictionary<string, RevisionSample>(StringComparer.Ordinal);
            var after = until > from || cadence.IsLive ? await platform.GetRevisionMetricsAsync(request.Target, until, ct) : before;
            var (canary, stable) = (Delta(after, before, request.Canary), Delta(after, before, request.Stable));
            var result = CanaryAnalysis.Analyze(canary, stable, gates, options);
            if (result.Verdict != Verdict.Inconclusive || extensions++ >= request.Policy.MaxExtensions)
            {
                return new StageJudgement(result, null, Judged(cadence, from, until));
            }

            // Fisher's test had its one look at this end; the extension's ends leave errors to the sequential test.
            options = options with { EndTestSpent = options.EndTestSpent || CanaryAnalysis.Judgeable(canary, stable, gates) };
            reporter.Stage(percent, $"inconclusive, extending the window ({result.Explain()})");
        }
    }

    /// <summary>"; judged on 12:01:00Z–12:04:00Z (3 whole 60 s periods)" for periodic metrics; nothing for live ones.</summary>
    private static string Judged(MetricsCadence cadence, DateTimeOffset from, DateTimeOffset until) => cadence.IsLive
        ? ""
        : string.Create(CultureInfo.InvariantCulture,
            $"; judged on {from:HH:mm:ss}Z–{until:HH:mm:ss}Z ({Math.Max(0, (long)((until - from) / cadence.Period))} whole {cadence.Period.TotalSeconds:0} s periods)");

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>What a revision handled between two reads of its cumulative counters.</summary>
    internal static RevisionSample Delta(IReadOnlyDictionary<string, RevisionSample> after, IReadOnlyDictionary<string, RevisionSample> before, string revision)
    {
        if (!after.TryGetValue(revision, out var end))
        {
            return new RevisionSample(revision, 0, 0, [], [1]);
        }

        if (!before.TryGetValue(revision, out var start) || start.Requests > end.Requests)
        {
            return end;
        }

        var histogram = end.Histogram.Select((count, i) => count - (i < start.Histogram.Count ? start.Histogram[i] : 0)).ToArray();
        return new RevisionSample(revision, end.Requests - start.Requests, end.Failed - start.Failed, histogram, end.BucketBoundsMs);
    }
}
