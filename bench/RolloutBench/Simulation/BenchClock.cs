using Microsoft.Extensions.Time.Testing;

namespace RolloutBench.Simulation;

/// <summary>
/// A fake clock that moves only while the code under it waits, straight to the earliest timer it waits on: a
/// rollout's windows pass in the time its work takes, and every look happens at the instant it asked for.
/// </summary>
internal sealed class BenchClock(DateTimeOffset start) : FakeTimeProvider(start), IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Armed> _armed = [];
    private readonly SemaphoreSlim _armedSignal = new(0);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Armed(this);
        timer.Inner = base.CreateTimer(s =>
        {
            // Disarmed before the callback: what it wakes is work, not waiting.
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan, inner: false);
            callback(s);
        }, state, dueTime, period);
        timer.Change(dueTime, period, inner: false);
        return timer;
    }

    /// <summary>Moves the clock, whenever something waits on it, to the earliest due timer, until <paramref name="task"/> ends.</summary>
    public async Task<T> RunAsync<T>(Task<T> task)
    {
        while (!task.IsCompleted)
        {
            DateTimeOffset? due;
            lock (_gate)
            {
                due = _armed.Count == 0 ? null : _armed.Min(a => a.DueAt);
            }

            if (due is { } at)
            {
                var step = at - GetUtcNow();
                Advance(step > TimeSpan.Zero ? step : TimeSpan.FromTicks(1));
                continue;
            }

            await Task.WhenAny(task, _armedSignal.WaitAsync());
        }

        return await task;
    }

    public void Dispose() => _armedSignal.Dispose();

    private sealed class Armed(BenchClock clock) : ITimer
    {
        public ITimer Inner { get; set; } = null!;

        public DateTimeOffset DueAt { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period) => Change(dueTime, period, inner: true);

        public bool Change(TimeSpan dueTime, TimeSpan period, bool inner)
        {
            lock (clock._gate)
            {
                clock._armed.Remove(this);
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    DueAt = clock.GetUtcNow() + dueTime;
                    clock._armed.Add(this);
                    clock._armedSignal.Release();
                }
            }

            return !inner || Inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan, inner: false);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
