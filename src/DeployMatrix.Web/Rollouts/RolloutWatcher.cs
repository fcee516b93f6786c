using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Rollout;

namespace DeployMatrix.Web.Rollouts;

/// <summary>
/// Reads a rollout for its page and keeps its series. The rollout is driven by another process (the CLI), so the
/// dashboard samples the platform's metrics itself, at most once a second per rollout however many pages watch it,
/// and only while someone watches (a page's load or its event stream). Series are kept in memory for the
/// <see cref="Kept"/> most recently watched rollouts.
/// </summary>
internal sealed class RolloutWatcher(DashboardSource source)
{
    /// <summary>How many rollouts' series are kept: 16.</summary>
    public const int Kept = 16;

    /// <summary>The least time between two samples of one rollout: 0.9 s (a page's one-second tick, with slack).</summary>
    public static readonly TimeSpan Every = TimeSpan.FromMilliseconds(900);

    private readonly Lock _lock = new();
    private readonly Dictionary<long, (RolloutSeries Series, DateTimeOffset Watched)> _series = [];

    /// <summary>The rollout now, its series sampled when due, as the page shows it.</summary>
    /// <exception cref="Engine.OperationException">No such lane, environment or rollout.</exception>
    /// <exception cref="Engine.Platform.PlatformException">The platform's service could not be read.</exception>
    public async Task<RolloutFigures> ReadAsync(string lane, string env, string? region, CancellationToken ct)
    {
        using var ws = source.Open();
        var view = await new RolloutWatchOperation(ws).ReadAsync(lane, env, region, ct);
        var series = SeriesOf(view.Rollout.Id, view.ReadAt);
        if (view.MetricsError is null && (series.LastAt is not { } last || view.ReadAt - last >= Every))
        {
            series.Add(view.ReadAt, view.Rollout.Stage, view.Metrics, view.Traffic);
        }

        return RolloutFigures.From(view, series);
    }

    /// <summary>The series kept for a rollout, or null when nobody watched it since the dashboard started.</summary>
    public RolloutSeries? Series(long id)
    {
        lock (_lock)
        {
            return _series.TryGetValue(id, out var kept) ? kept.Series : null;
        }
    }

    private RolloutSeries SeriesOf(long id, DateTimeOffset now)
    {
        lock (_lock)
        {
            var series = _series.TryGetValue(id, out var kept) ? kept.Series : new RolloutSeries();
            _series[id] = (series, now);
            if (_series.Count > Kept)
            {
                _series.Remove(_series.MinBy(p => p.Value.Watched).Key);
            }

            return series;
        }
    }
}
