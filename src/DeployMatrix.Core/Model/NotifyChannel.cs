using DeployMatrix.Core.Diagnostics;

namespace DeployMatrix.Core.Model;

/// <summary>Where a notification goes: a generic webhook, a Slack incoming webhook, or a Google Chat space's webhook.</summary>
public enum NotifyKind
{
    /// <summary>A JSON event (<c>deploymatrix.event.v1</c>) POSTed with an HMAC-SHA256 signature header.</summary>
    Webhook,

    /// <summary>Slack's incoming webhook: <c>{"text": …}</c> (api.slack.com/messaging/webhooks).</summary>
    Slack,

    /// <summary>A Google Chat space's incoming webhook: <c>{"text": …}</c> (developers.google.com/workspace/chat/quickstart/webhooks).</summary>
    GoogleChat,
}

/// <summary>What happened that a channel may be told of.</summary>
public enum NotifyEvent
{
    DeployFailed,
    RolloutStarted,
    StagePassed,
    RolloutSucceeded,

    /// <summary>A rollout ended without succeeding: it failed and rolled back, or a person aborted it.</summary>
    RolloutFailed,

    /// <summary>A <c>rollback</c> moved all traffic back to the stable revision.</summary>
    RolledBack,

    /// <summary>
    /// A rollout stopped by itself and waits for a person with the split held: a stage stayed inconclusive under
    /// <c>on-inconclusive: pause</c>, or failed when rolling back was not safe (the roll-forward rule).
    /// Argo Rollouts' <c>on-rollout-paused</c> trigger is the peer; a pause a person asked for is not told.
    /// </summary>
    RolloutHeld,
    GateGo,
    GateNoGo,
    MaintenanceOn,
    MaintenanceOff,

    /// <summary>
    /// <c>notify test</c>'s event: sent to the channels asked, whatever their filters, to check a URL and key work.
    /// Not an event the matrix may list (nothing else sends it).
    /// </summary>
    Test,
}

/// <summary>The words the matrix, payloads and delivery records use for kinds and events.</summary>
public static class NotifyNames
{
    public static readonly IReadOnlyDictionary<string, NotifyKind> Kinds = new Dictionary<string, NotifyKind>(StringComparer.Ordinal)
    {
        ["webhook"] = NotifyKind.Webhook,
        ["slack"] = NotifyKind.Slack,
        ["google-chat"] = NotifyKind.GoogleChat,
    };

    public static readonly IReadOnlyDictionary<string, NotifyEvent> Events = new Dictionary<string, NotifyEvent>(StringComparer.Ordinal)
    {
        ["deploy-failed"] = NotifyEvent.DeployFailed,
        ["rollout-started"] = NotifyEvent.RolloutStarted,
        ["stage-passed"] = NotifyEvent.StagePassed,
        ["rollout-succeeded"] = NotifyEvent.RolloutSucceeded,
        ["rollout-failed"] = NotifyEvent.RolloutFailed,
        ["rolled-back"] = NotifyEvent.RolledBack,
        ["rollout-held"] = NotifyEvent.RolloutHeld,
        ["gate-go"] = NotifyEvent.GateGo,
        ["gate-no-go"] = NotifyEvent.GateNoGo,
        ["maintenance-on"] = NotifyEvent.MaintenanceOn,
        ["maintenance-off"] = NotifyEvent.MaintenanceOff,
    };

    public static string Name(NotifyKind kind) => Kinds.First(k => k.Value == kind).Key;

    /// <summary>The event's word: <c>rollout-failed</c>…, and <c>test</c> for <see cref="NotifyEvent.Test"/>.</summary>
    public static string Name(NotifyEvent e) => e == NotifyEvent.Test ? "test" : Events.First(k => k.Value == e).Key;
}

/// <summary>
/// One entry of the matrix's <c>notify:</c> list. The webhook's URL and signing key are secrets: the matrix
/// names the environment variables that hold them, and neither value is ever read into the model.
/// </summary>
public sealed record NotifyChannel
{
    /// <summary>The channel's name in delivery records and messages (lowercase letters, digits, '-').</summary>
    public required string Name { get; init; }

    public required NotifyKind Kind { get; init; }

    /// <summary>The environment variable holding the webhook URL.</summary>
    public required string UrlEnv { get; init; }

    /// <summary>The environment variable holding the HMAC-SHA256 key of a generic webhook; null for Slack and Google Chat.</summary>
    public string? SecretEnv { get; init; }

    /// <summary>The events sent; the default is every event.</summary>
    public IReadOnlySet<NotifyEvent> Events { get; init; } = new HashSet<NotifyEvent>(NotifyNames.Events.Values);

    /// <summary>Only events about these lanes; empty: every lane. A gate verdict (about a release, not a lane) passes any lane filter.</summary>
    public IReadOnlyList<string> Lanes { get; init; } = [];

    /// <summary>Only events in these environments; empty: every environment.</summary>
    public IReadOnlyList<string> Environments { get; init; } = [];

    public SourcePos Pos { get; init; }

    /// <summary>Whether this channel is told of <paramref name="e"/> about <paramref name="lane"/> (null: no one lane) in <paramref name="environment"/>.</summary>
    public bool Wants(NotifyEvent e, string? lane, string? environment) =>
        e == NotifyEvent.Test
        || Events.Contains(e)
        && (lane is null || Lanes.Count == 0 || Lanes.Contains(lane))
        && (environment is null || Environments.Count == 0 || Environments.Contains(environment));
}
