using System.Text.RegularExpressions;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Loading;

/// <summary>Reads the <c>notify</c> section: the channels told of deploys, rollouts, gate verdicts and maintenance.</summary>
internal static partial class NotifyReader
{
    private static readonly string[] Keys = ["name", "kind", "url-env", "secret-env", "events", "lanes", "environments"];

    public static IReadOnlyList<NotifyChannel> Read(MapReader top, IReadOnlyList<EnvironmentConfig> environments, IReadOnlyList<Lane> lanes, DiagnosticBag diagnostics)
    {
        var result = new List<NotifyChannel>();
        var names = new Dictionary<string, SourcePos>(StringComparer.Ordinal);
        foreach (var item in top.List("notify"))
        {
            if (item is not YMapping m)
            {
                diagnostics.Add(item.Pos, "type", $"a notify channel must be a mapping with 'name', 'kind' and 'url-env', not {item.Describe()}");
                continue;
            }

            // A name is taken by its first channel even when that channel has other errors, so one run reports both.
            var duplicate = false;
            if (m.Get("name") is YScalar { IsNull: false } named)
            {
                if (names.TryGetValue(named.Value, out var first))
                {
                    diagnostics.Add(named.Pos, "duplicate", $"notify channel '{named.Value}' is named twice (first at line {first.Line}:{first.Column})");
                    duplicate = true;
                }
                else
                {
                    names[named.Value] = named.Pos;
                }
            }

            if (ReadChannel(new MapReader(m, "a notify channel", diagnostics, Keys), environments, lanes) is { } channel && !duplicate)
            {
                result.Add(channel);
            }
        }

        return result;
    }

    private static NotifyChannel? ReadChannel(MapReader r, IReadOnlyList<EnvironmentConfig> environments, IReadOnlyList<Lane> lanes)
    {
        var d = r.Diagnostics;
        var name = r.String("name", required: true);
        if (name is not null && !NamePattern().IsMatch(name))
        {
            d.Add(r.PosOf("name"), "name", $"notify channel name '{name}' must be lowercase letters, digits and '-'");
            name = null;
        }

        var context = name is null ? "a notify channel" : $"notify channel '{name}'";
        NotifyKind? kind = null;
        if (r.Has("kind"))
        {
            kind = r.Enum("kind", NotifyNames.Kinds);
        }
        else
        {
            d.Add(r.Pos, "missing-key", $"{context} is missing 'kind' (one of: {string.Join(", ", NotifyNames.Kinds.Keys)})");
        }

        var urlEnv = EnvName(r, "url-env", context, required: true, "that holds the webhook URL", "the URL is a secret and never goes in the matrix");
        var secretEnv = EnvName(r, "secret-env", context, required: kind == NotifyKind.Webhook, "that holds the key a generic webhook's requests are signed with (HMAC-SHA256)", "the key is a secret and never goes in the matrix");
        if (kind is NotifyKind.Slack or NotifyKind.GoogleChat && r.Has("secret-env"))
        {
            d.Add(r.PosOf("secret-env"), "value", $"'secret-env' in {context} signs generic webhooks only; {NotifyNames.Name(kind.Value)} webhooks carry their secret in the URL");
        }

        var events = new HashSet<NotifyEvent>();
        foreach (var node in r.List("events", allowSingle: true))
        {
            if (node is not YScalar { IsNull: false } s)
            {
                d.Add(node.Pos, "type", $"items of 'events' in {context} must be event names, not {node.Describe()}");
            }
            else if (NotifyNames.Events.TryGetValue(s.Value, out var e))
            {
                events.Add(e);
            }
            else
            {
                d.Add(s.Pos, "unknown-value", $"event '{s.Value}' in {context} is not known{DidYouMean.Hint(s.Value, NotifyNames.Events.Keys)}");
            }
        }

        var laneNames = Known(r, "lanes", context, lanes.Select(l => l.Name).ToList(), "lane");
        var envNames = Known(r, "environments", context, environments.Select(e => e.Name).ToList(), "environment");
        if (name is null || kind is null || urlEnv is null || (kind == NotifyKind.Webhook && secretEnv is null))
        {
            return null;
        }

        return new NotifyChannel
        {
            Name = name,
            Kind = kind.Value,
            UrlEnv = urlEnv,
            SecretEnv = kind == NotifyKind.Webhook ? secretEnv : null,
            Events = r.Has("events") ? events : new HashSet<NotifyEvent>(NotifyNames.Events.Values),
            Lanes = laneNames,
            Environments = envNames,
            Pos = r.PosOf("name"),
        };
    }

    /// <summary>An environment variable's name (never its value: a URL or key is a secret).</summary>
    private static string? EnvName(MapReader r, string key, string context, bool required, string what, string why)
    {
        var value = r.String(key);
        if (value is null)
        {
            if (required)
            {
                r.Diagnostics.Add(r.Pos, "missing-key", $"{context} is missing '{key}' (the name of the environment variable {what})");
            }

            return null;
        }

        if (!EnvPattern().IsMatch(value))
        {
            // A URL or key written here is a secret: it is not repeated in the message.
            var shown = value.IndexOfAny([':', '/', '@']) < 0 && value.Length <= 64 ? $", not '{value}'" : "";
            r.Diagnostics.Add(r.PosOf(key), "value", $"'{key}' in {context} must name the environment variable {what} (letters, digits, _){shown}; {why}");
            return null;
        }

        return value;
    }

    private static List<string> Known(MapReader r, string key, string context, IReadOnlyList<string> known, string what)
    {
        var result = new List<string>();
        foreach (var (value, node) in r.StringList(key, allowSingle: true).Zip(r.List(key, allowSingle: true).Where(n => n is YScalar { IsNull: false })))
        {
            if (known.Contains(value))
            {
                result.Add(value);
            }
            else
            {
                r.Diagnostics.Add(node.Pos, "unknown-value", $"{context} names {what} '{value}', which the matrix does not have{DidYouMean.Hint(value, known)}");
            }
        }

        return result;
    }

    [GeneratedRegex("^[a-z][a-z0-9-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvPattern();
}
