using Microsoft.Extensions.Time.Testing;

namespace DeployMatrix.Tests.Support;

/// <summary>
/// A fake clock that knows whether the engine is waiting on it: a one-shot timer is waiting from the moment
/// it is created until it fires or is disposed. A test moves the clock only while something waits, so
/// the engine finishes the work between two waits (reading figures, moving traffic) at one instant of
/// fake time however slowly the machine runs it — the same figures every run.
/// </summary>
public sealed class SteppedClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private int _waiting;

    /// <summary>Whether a timer is pending: someone waits on this clock, so moving it is what they wait for.</summary>
    public bool Waited => Volatile.Read(ref _waiting) > 0;

    /// <summary>
    /// Moves the clock by <paramref name="step"/>, only while something waits on it (and
    /// <paramref name="pauseWhen"/> does not hold), giving the code real time to act between steps, until
    /// <paramref name="task"/> ends (bounded: 20 000 steps).
    /// </summary>
    public async Task<T> RunAsync<T>(Task<T> task, TimeSpan step, Func<bool>? pauseWhen = null)
    {
        for (var i = 0; i < 20_000 && !task.IsCompleted; i++)
        {
            if (pauseWhen?.Invoke() != true && Waited)
            {
                Advance(step);
            }

            await Task.WhenAny(task, Task.Delay(2)).ConfigureAwait(false);
        }

        Assert.True(task.IsCompleted, "the operation did not end");
        return await task.ConfigureAwait(false);
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var tracked = new Tracked(this);
        tracked.Arm(dueTime, period);
        tracked.Inner = base.CreateTimer(s =>
        {
            // Counted as done before the callback runs: the waiter's continuation is work, not waiting.
            tracked.Fired();
            callback(s);
        }, state, dueTime, period);
        return tracked;
    }

    private sealed class Tracked(SteppedClock clock) : ITimer
    {
        private readonly Lock _gate = new();
        private bool _armed;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public ITimer Inner { get; set; } = null!;

        public void Arm(TimeSpan dueTime, TimeSpan period)
        {
            lock (_gate)
            {
                _period = period;
                Set(dueTime != Timeout.InfiniteTimeSpan);
            }
        }

        public void Fired()
        {
            lock (_gate)
            {
                // A periodic timer goes on waiting; a one-shot one is done.
                Set(_period != Timeout.InfiniteTimeSpan && _period != TimeSpan.Zero);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Arm(dueTime, period);
            return Inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            lock (_gate)
            {
                Set(false);
            }

            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void Set(bool armed)
        {
            if (armed != _armed)
            {
                _armed = armed;
                Interlocked.Add(ref clock._waiting, armed ? 1 : -1);
            }
        }
    }
}
