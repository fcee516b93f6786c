using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Engine.Notifications;

/// <summary>
/// Something that happened which channels may be told of: a deploy that failed, a rollout's start, stages and end,
/// a rollback, a gate's verdict, maintenance switched. Carries no secrets: names, revisions, tags, digests and the
/// one-line account people read.
/// </summary>
/// <param name="Lane">The lane it is about; null for a gate verdict (a release of every gated lane).</param>
/// <param name="Environment">The environment it happened in (a gate's: the one promoted to).</param>
/// <param name="Text">One line for people, e.g. <c>rollout #3 of api in production failed: …</c>.</param>
public sealed record NotificationEvent(NotifyEvent Kind, string? Lane, string? Environment, string Text)
{
    /// <summary>When it happened (the workspace's clock).</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Who acted (the OS user running the command).</summary>
    public string? Actor { get; init; }

    /// <summary>Facts by name (<c>rollout_id</c>, <c>stable_revision</c>, <c>canary_revision</c>, <c>stage</c>, <c>tag</c>, <c>region</c>…).</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();

    /// <summary>The event's id, the same in every retry of its deliveries, so a receiver can drop a repeat.</summary>
    public string Id { get; init; } = Guid.NewGuid().ToString("N");

    public string Name => NotifyNames.Name(Kind);
}

/// <summary>Takes events to tell the matrix's channels of. Never blocks and never throws: telling is sent after, in the background.</summary>
public interface INotificationPublisher
{
    void Publish(NotificationEvent notification);
}

/// <summary>The publisher of a workspace whose matrix has no <c>notify:</c> section.</summary>
public sealed class NoNotifications : INotificationPublisher
{
    public static readonly NoNotifications Instance = new();

    public void Publish(NotificationEvent notification)
    {
    }
}

/// <summary>Builds and publishes events in the words every site uses.</summary>
public static class Notify
{
    /// <summary>Publishes <paramref name="kind"/> about a target: its lane, environment and (when regional) region.</summary>
    public static void About(this INotificationPublisher publisher, TimeProvider time, string actor, NotifyEvent kind, ResolvedTarget target, string text, IReadOnlyDictionary<string, string?>? details = null)
    {
        var facts = Facts(details);
        if (target.Regional && target.Region is { } region)
        {
            facts["region"] = region;
        }

        facts["platform"] = PlatformNames.Name(target.Platform);
        facts["service"] = target.Service;
        publisher.Publish(new NotificationEvent(kind, target.Lane, target.Environment, text) { At = time.GetUtcNow(), Actor = actor, Details = facts });
    }

    /// <summary>Publishes <paramref name="kind"/> about no one lane (a gate verdict).</summary>
    public static void Release(this INotificationPublisher publisher, TimeProvider time, string actor, NotifyEvent kind, string environment, string text, IReadOnlyDictionary<string, string?>? details = null) =>
        publisher.Publish(new NotificationEvent(kind, null, environment, text) { At = time.GetUtcNow(), Actor = actor, Details = Facts(details) });

    private static Dictionary<string, string> Facts(IReadOnlyDictionary<string, string?>? details) =>
        (details ?? new Dictionary<string, string?>()).Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!, StringComparer.Ordinal);
}
