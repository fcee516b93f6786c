using Microsoft.Extensions.Time.Testing;

namespace DeployMatrix.Local.Tests.Support;

/// <summary>
/// A fake clock that runs by itself at about real speed (so readiness polls and drain loops go on) and that
/// a test can move ahead at once with <see cref="Jump"/>: minutes of a drain or a request timeout pass in
/// an instant, deterministically, while real work (a request a revision holds) keeps its real pace.
/// </summary>
internal sealed class PumpedClock : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    public PumpedClock()
    {
        _pump = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(5);
                Time.Advance(TimeSpan.FromMilliseconds(5));
            }
        });
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-12-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public void Jump(TimeSpan by) => Time.Advance(by);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pump;
        _stop.Dispose();
    }
}
