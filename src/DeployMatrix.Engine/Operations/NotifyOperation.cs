using DeployMatrix.Core;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Notifications;
using DeployMatrix.Engine.Workspaces;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Operations;

/// <summary>
/// <c>notify</c>: the deliveries the matrix's channels were sent (newest first), and a test event to check a channel's
/// URL and key before the night it matters — as Argo CD Notifications' <c>template notify</c> and Octopus' "test
/// subscription" do.
/// </summary>
public sealed class NotifyOperation(Workspace ws)
{
    /// <summary>The newest deliveries first, at most <paramref name="limit"/>, optionally of one channel.</summary>
    /// <exception cref="OperationException">An unknown channel, or a limit below 1 (exit 2).</exception>
    public IReadOnlyList<DeliveryRecord> Deliveries(int limit, string? channel)
    {
        if (limit < 1)
        {
            throw new OperationException($"--limit {limit}: give a number of deliveries, 1 or more", ExitCodes.BadInput);
        }

        if (channel is null)
        {
            return ws.State.Deliveries(limit);
        }

        // Filtered after the read: the store keeps no index by channel, and a few hundred rows are nothing to read.
        // A channel since removed from the matrix still has its deliveries on record; a name with neither is a typo.
        var found = ws.State.Deliveries(Math.Max(limit, 1000)).Where(d => d.Channel == channel).Take(limit).ToList();
        if (found.Count == 0)
        {
            Find(channel);
        }

        return found;
    }

    /// <summary>
    /// Sends a <c>test</c> event to <paramref name="channel"/> (null: every channel of the matrix), whatever their
    /// event and lane filters, waits for each delivery (its retries included, at most <paramref name="options"/>'
    /// delivery deadline) and returns how each ended, as recorded.
    /// </summary>
    /// <exception cref="OperationException">The matrix has no <c>notify:</c> section, or names no such channel (exit 2).</exception>
    public async Task<IReadOnlyList<DeliveryRecord>> TestAsync(string? channel, NotifyOptions? options = null)
    {
        var channels = channel is null ? ws.Matrix.Notify : [Find(channel)];
        if (channels.Count == 0)
        {
            throw new OperationException("the matrix has no notify: section; add a channel (see the README's Notifications) and run notify test again", ExitCodes.BadInput);
        }

        options ??= new NotifyOptions();
        var before = ws.State.Deliveries(1) is [var newest] ? newest.Id : 0;
        using (var dispatcher = new NotificationDispatcher(channels, ws.State, ws.Env, ws.Time, options))
        {
            dispatcher.Publish(new NotificationEvent(NotifyEvent.Test, null, null, $"a test from deploymatrix by {ws.Actor}: if you read this, the channel works")
            {
                At = ws.Time.GetUtcNow(),
                Actor = ws.Actor,
            });
            await dispatcher.DrainAsync(options.DeliveryDeadline + TimeSpan.FromSeconds(1));
        }

        // In the matrix's order of channels, not the order they happened to finish in.
        var order = channels.Select((c, i) => (c.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        return [.. ws.State.Deliveries(100).Where(d => d.Id > before && d.Event == "test" && order.ContainsKey(d.Channel)).OrderBy(d => order[d.Channel])];
    }

    private NotifyChannel Find(string name) =>
        ws.Matrix.Notify.FirstOrDefault(c => c.Name == name)
        ?? throw new OperationException(ws.Matrix.Notify.Count == 0
            ? $"no channel '{name}': the matrix has no notify: section"
            : $"no channel '{name}' in the matrix's notify: section{DidYouMean.Hint(name, ws.Matrix.Notify.Select(c => c.Name))}", ExitCodes.BadInput);
}
