using System.Collections.Concurrent;
using DeployMatrix.Engine;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Rollout;
using Microsoft.Extensions.Hosting;

namespace DeployMatrix.Web.Rollouts;

/// <summary>What an action did, shown once on the page it redirects to.</summary>
public sealed record ActionResult(string Message, bool Done);

/// <summary>
/// Pause, resume, abort and promote from a rollout's page, through the same engine operations as the CLI
/// (<see cref="RolloutControlOperation"/>) and with the workspace's actor (<c>USER (dashboard)</c>) and the person's
/// reason recorded. A reason is required for every action. Resume drives the rollout in the calling process, as
/// <c>rollout resume</c> does: here that is the dashboard's, as a background task that ends with the rollout or
/// when the dashboard stops (which holds the rollout where it stands, to be resumed again).
/// </summary>
internal sealed class RolloutActions(DashboardSource source, IHostApplicationLifetime lifetime)
{
    /// <summary>Results kept for the page to show after its redirect: the newest 64.</summary>
    private const int ResultsKept = 64;

    private readonly ConcurrentDictionary<string, ActionResult> _results = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private readonly ConcurrentBag<Task> _resumed = [];

    /// <summary>The actions a page offers, by the name in their path.</summary>
    public static readonly IReadOnlyList<string> Names = ["pause", "resume", "abort", "promote"];

    /// <summary>Carries out <paramref name="action"/> and returns the id of its result (<see cref="Result"/>).</summary>
    public async Task<string> RunAsync(string lane, string env, string? region, string action, string? reason, CancellationToken ct)
    {
        ActionResult result;
        if (string.IsNullOrWhiteSpace(reason))
        {
            result = new ActionResult($"{action} needs a reason (it is recorded): nothing was done", false);
        }
        else
        {
            try
            {
                result = action == "resume" ? await ResumeAsync(lane, env, region, reason.Trim(), ct) : await ControlAsync(lane, env, region, action, reason.Trim(), ct);
            }
            catch (Exception e) when (e is OperationException or PlatformException or HttpRequestException or IOException)
            {
                result = new ActionResult($"{action} did not happen: {Core.Text.UntrustedText.OneLine(e.Message)}", false);
            }
        }

        var id = Guid.NewGuid().ToString("N");
        _results[id] = result;
        _order.Enqueue(id);
        while (_order.Count > ResultsKept && _order.TryDequeue(out var old))
        {
            _results.TryRemove(old, out _);
        }

        return id;
    }

    /// <summary>
    /// Waits, at most <paramref name="bound"/>, for the rollouts resumed here to record where they stood as the
    /// dashboard stops (held at their stage, to be resumed again).
    /// </summary>
    public void WaitForResumed(TimeSpan bound)
    {
        try
        {
            Task.WaitAll([.. _resumed.Where(t => !t.IsCompleted)], bound);
        }
        catch (AggregateException)
        {
            // Each run's failure was recorded by the engine (held); there is nobody left to tell.
        }
    }

    /// <summary>A result by its id, or null (unknown, or long gone).</summary>
    public ActionResult? Result(string? id) => id is not null && _results.TryGetValue(id, out var result) ? result : null;

    private async Task<ActionResult> ControlAsync(string lane, string env, string? region, string action, string reason, CancellationToken ct)
    {
        var control = RolloutStates.ParseControl(action);
        using var ws = source.Open();
        var done = await new RolloutControlOperation(ws) { Region = region }.ControlAsync(lane, env, control, reason, Quiet.Reporter, ct);
        return new ActionResult($"rollout #{done.Rollout.Id}: {done.Message}", done.Done);
    }

    private async Task<ActionResult> ResumeAsync(string lane, string env, string? region, string reason, CancellationToken ct)
    {
        // The checks resume makes (a rollout to resume, nobody driving it) answer the page before it goes on in the background.
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Task.Run(async () =>
        {
            using var ws = source.Open();
            try
            {
                await new RolloutControlOperation(ws) { Region = region }.ResumeAsync(lane, env, line => started.TrySetResult(line),
                    drive => drive(Quiet.Reporter), lifetime.ApplicationStopping, reason);
            }
            catch (Exception e) when (e is OperationException or PlatformException or HttpRequestException or IOException or OperationCanceledException)
            {
                started.TrySetException(e);
            }
        }, CancellationToken.None);
        _resumed.Add(run);
        var said = await started.Task.WaitAsync(ct);
        return new ActionResult($"{said} (reason: {reason}); this dashboard's process drives it now: stopping the dashboard holds it", true);
    }

    /// <summary>A reporter for runs nobody reads live: the page reads the audit log and the platform instead.</summary>
    private sealed class Quiet : IRolloutReporter
    {
        public static readonly Quiet Reporter = new();

        public void Stage(int percent, string message)
        {
        }
    }
}
