using DeployMatrix.Core.Analysis;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Rollout;

/// <summary>One revision in one sample: what it handled since the sample before, and its share of traffic then.</summary>
/// <param name="Requests">Requests it answered in the interval.</param>
/// <param name="Failed">Of those, 5xx answers.</param>
/// <param name="P95Ms">The interval's 95th-percentile latency (ms, upper bound of its bucket; 0 without requests).</param>
/// <param name="Percent">Its traffic share when sampled (0..100 %).</param>
public sealed record RevisionPoint(string Revision, long Requests, long Failed, double P95Ms, int Percent)
{
    /// <summary>5xx answers over requests in the interval, as a percentage (0..100); 0 without requests.</summary>
    public double ErrorRatePercent => Requests == 0 ? 0 : 100.0 * Failed / Requests;
}

/// <summary>One sample of a rollout: when, at which stage (canary weight, %), and every revision's figures.</summary>
public sealed record SeriesPoint(DateTimeOffset At, int Stage, IReadOnlyList<RevisionPoint> Revisions);

/// <summary>
/// A bounded series of a rollout's figures, fed by whoever watches it (the dashboard samples the platform once a
/// second while a page is open; the driving process may be another). Each point holds what every revision handled
/// since the previous sample (<see cref="StageAnalysis.Delta"/> of the platform's cumulative counters), so the
/// series reads as rates over time. The oldest points go first once <see cref="Capacity"/> is reached.
/// Thread-safe: several watchers of one rollout share it.
/// </summary>
/// <param name="capacity">Points kept; the default, 900, is 15 minutes at one sample a second.</param>
public sealed class RolloutSeries(int capacity = 900)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<SeriesPoint> _points = new();
    private IReadOnlyDictionary<string, RevisionSample>? _last;
    private IReadOnlyDictionary<string, RevisionSample>? _stageStart;
    private int? _stage;

    public int Capacity => capacity;

    /// <summary>When the last sample was taken; null before the first.</summary>
    public DateTimeOffset? LastAt { get; private set; }

    /// <summary>Adds a sample of the platform's cumulative counters and the split at that moment.</summary>
    /// <param name="stage">The rollout's stage (canary weight, %) when sampled: a change starts the stage's totals anew.</param>
    public void Add(DateTimeOffset at, int stage, IReadOnlyDictionary<string, RevisionSample> cumulative, IReadOnlyList<TrafficAssignment> traffic)
    {
        lock (_lock)
        {
            var names = cumulative.Keys.Union(traffic.Select(t => t.Revision), StringComparer.Ordinal).Order(StringComparer.Ordinal);
            var revisions = _last is null
                ? []
                : names.Select(name =>
                {
                    var delta = StageAnalysis.Delta(cumulative, _last, name);
                    return new RevisionPoint(name, delta.Requests, delta.Failed, delta.P95Ms, traffic.FirstOrDefault(t => t.Revision == name)?.Percent ?? 0);
                }).ToList();
            if (_stage != stage)
            {
                (_stage, _stageStart) = (stage, _last ?? cumulative);
            }

            _last = cumulative;
            LastAt = at;
            if (_points.Count == 0 && revisions.Count == 0)
            {
                return; // the first sample is the baseline the next one is measured against
            }

            _points.AddLast(new SeriesPoint(at, stage, revisions));
            while (_points.Count > capacity)
            {
                _points.RemoveFirst();
            }
        }
    }

    /// <summary>The points kept, oldest first.</summary>
    public IReadOnlyList<SeriesPoint> Points()
    {
        lock (_lock)
        {
            return [.. _points];
        }
    }

    /// <summary>
    /// What a revision handled in the current stage as far as this series saw it: from the sample before the stage
    /// was first seen (nothing before the second sample).
    /// </summary>
    public RevisionSample StageSoFar(string revision)
    {
        lock (_lock)
        {
            return _last is null ? new RevisionSample(revision, 0, 0, [], [1]) : StageAnalysis.Delta(_last, _stageStart ?? new Dictionary<string, RevisionSample>(), revision);
        }
    }
}
