using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Engine.Notifications;

/// <summary>
/// The bodies each kind of channel takes, as UTF-8 JSON bytes: the generic webhook's event
/// (<see cref="Schema"/>), and the <c>{"text": …}</c> message both Slack's incoming webhooks
/// (api.slack.com/messaging/webhooks) and Google Chat's (developers.google.com/workspace/chat/quickstart/webhooks) take.
/// </summary>
public static class NotificationPayloads
{
    /// <summary>The generic webhook's schema id, in every event's <c>schema</c> field.</summary>
    public const string Schema = "deploymatrix.event.v1";

    /// <summary>The header carrying a generic webhook body's signature: <c>sha256=HEX</c>.</summary>
    public const string SignatureHeader = "X-DeployMatrix-Signature";

    /// <summary>The header naming the event (<c>rollout-failed</c>…), so a receiver can route before it parses.</summary>
    public const string EventHeader = "X-DeployMatrix-Event";

    /// <summary>The header carrying the event's id (the same on every retry).</summary>
    public const string DeliveryHeader = "X-DeployMatrix-Delivery";

    public static byte[] Body(NotifyKind kind, NotificationEvent e) => kind switch
    {
        NotifyKind.Webhook => Event(e),
        NotifyKind.Slack => Text(SlackEscape(Line(e))),
        _ => Text(Line(e)),
    };

    /// <summary>
    /// The generic webhook's body: <c>{"schema", "id", "event", "at" (ISO 8601 UTC), "lane" (null for a gate verdict),
    /// "environment", "actor", "text", "details": {name: value}}</c>.
    /// </summary>
    public static byte[] Event(NotificationEvent e)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("schema", Schema);
            json.WriteString("id", e.Id);
            json.WriteString("event", e.Name);
            json.WriteString("at", e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteString("lane", e.Lane);
            json.WriteString("environment", e.Environment);
            json.WriteString("actor", e.Actor);
            json.WriteString("text", e.Text);
            json.WriteStartObject("details");
            foreach (var (name, value) in e.Details.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary><c>sha256=</c> and the lowercase hex HMAC-SHA256 of the raw body under the key (the key's UTF-8 bytes).</summary>
    public static string Signature(string key, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), body));

    /// <summary>The line a chat shows: <c>deploymatrix · rollout-failed · api · production: TEXT</c>.</summary>
    public static string Line(NotificationEvent e) =>
        string.Join(" · ", new[] { "deploymatrix", e.Name, e.Lane, e.Environment }.Where(w => w is not null)) + ": " + e.Text;

    private static byte[] Text(string text) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["text"] = text });

    /// <summary>Slack reads &amp;, &lt; and &gt; as control characters in message text; they are sent escaped (api.slack.com/reference/surfaces/formatting#escaping).</summary>
    private static string SlackEscape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
