using System.Text.RegularExpressions;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Loading;

/// <summary>Reads the <c>gate</c> section: the go/no-go checks between two environments.</summary>
internal static partial class GateReader
{
    private static readonly string[] Keys = ["doc", "from", "to", "checks"];
    internal static readonly string[] CheckKeys = ["id", "description", "required", .. CheckTypes];
    private static readonly string[] HttpKeys = ["lane", "env", "region", "path", "url", "method", "expect", "contains", "header", "token-env"];
    private static readonly string[] BudgetKeys = ["lane", "env", "region", "path", "url", "max-bytes", "max-ttfb", "samples"];
    private static readonly string[] CommandKeys = ["run", "timeout", "lane", "env", "region", "url-env"];
    private static readonly string[] LaneRefKeys = ["lane", "env", "region"];
    private static readonly string[] LogsKeys = ["lane", "env", "region", "severity", "window", "max"];
    private static readonly string[] GuardKeys = ["dir"];
    private static readonly string[] RehearsalKeys = ["lane"];

    /// <summary>Severities as a matrix writes them: Cloud Logging's names (<c>ERROR</c>), in any case.</summary>
    private static readonly Dictionary<string, LogSeverity> Severities = Enum.GetValues<LogSeverity>()
        .ToDictionary(LogSeverities.Name, s => s, StringComparer.OrdinalIgnoreCase);
    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    internal static string[] CheckTypes => ["http", "budget", "command", LaneCheckSpec.Drift, LaneCheckSpec.CanaryStatus, LaneCheckSpec.Domain, "logs", "guard", "rehearsal"];

    public static GateConfig? Read(MapReader top, DiagnosticBag diagnostics)
    {
        if (top.Mapping("gate") is not { } node)
        {
            return null;
        }

        var r = new MapReader(node, "'gate'", diagnostics, Keys);
        var checks = new List<GateCheck>();
        var ids = new Dictionary<string, SourcePos>(StringComparer.Ordinal);
        foreach (var item in r.List("checks"))
        {
            if (item is not YMapping m)
            {
                diagnostics.Add(item.Pos, "type", $"a gate check must be a mapping with 'id' and one check type, not {item.Describe()}");
                continue;
            }

            if (ReadCheck(new MapReader(m, "a gate check", diagnostics, CheckKeys)) is not { } check)
            {
                continue;
            }

            if (ids.TryGetValue(check.Id, out var first))
            {
                diagnostics.Add(check.Pos, "duplicate", $"gate check id '{check.Id}' is used twice (first at line {first.Line}:{first.Column})");
                continue;
            }

            ids[check.Id] = check.Pos;
            checks.Add(check);
        }

        return new GateConfig
        {
            Doc = r.String("doc") is { } doc ? new FileRef(doc, r.PosOf("doc")) : null,
            From = r.String("from", required: true) ?? "",
            To = r.String("to", required: true) ?? "",
            Checks = checks,
            Pos = r.Pos,
        };
    }

    /// <param name="what">What the check is called in messages: <c>gate check</c>, or <c>verify check</c> for a lane's <c>verify</c>.</param>
    internal static GateCheck? ReadCheck(MapReader r, string what = "gate check")
    {
        var id = r.String("id", required: true);
        if (id is not null && !IdPattern().IsMatch(id))
        {
            r.Diagnostics.Add(r.PosOf("id"), "name", $"{what} id '{id}' must be lowercase letters, digits, '-', '_' or '.'");
            id = null;
        }

        var context = id is null ? $"a {what}" : $"{what} '{id}'";
        var types = CheckTypes.Where(r.Has).ToList();
        if (types.Count != 1)
        {
            var message = types.Count == 0
                ? $"{context} needs one check type: {string.Join(", ", CheckTypes)}"
                : $"{context} has several check types ({string.Join(", ", types)}); split it into one check per type";
            // "guard:" with no value is a valid guard check; count it even though it is empty.
            if (!(types.Count == 0 && r.Node("guard") is not null))
            {
                r.Diagnostics.Add(r.Pos, "check-type", message);
                return null;
            }

            types.Add("guard");
        }

        var spec = ReadSpec(types[0], r, context);
        if (id is null || spec is null)
        {
            return null;
        }

        return new GateCheck { Id = id, Description = r.String("description"), Required = r.Bool("required") ?? true, Spec = spec, Pos = r.Pos };
    }

    private static CheckSpec? ReadSpec(string type, MapReader r, string context)
    {
        var node = r.Node(type)!;
        var d = r.Diagnostics;
        switch (type)
        {
            case "command" when node is YScalar { IsNull: false } s:
                return new CommandCheckSpec { Run = new CommandText(s.Value, s.Pos) };
            case "guard" when node is YScalar { IsNull: true } or YScalar { Value: "true" }:
                return new GuardCheckSpec();
            case "guard" when node is YScalar s:
                return new GuardCheckSpec { Dir = s.Value };
        }

        if (node is not YMapping map)
        {
            r.TypeError(type, node, "a mapping");
            return null;
        }

        var where = $"'{type}' of {context}";
        switch (type)
        {
            case "http":
            {
                var h = new MapReader(map, where, d, HttpKeys);
                var method = h.String("method")?.ToUpperInvariant() ?? "GET";
                if (!Methods.Contains(method))
                {
                    d.Add(h.PosOf("method"), "unknown-value", $"'method' in {where} is '{method}'{DidYouMean.Hint(method, Methods)}");
                }

                var header = h.String("header");
                if (header is not null && !header.Contains(':', StringComparison.Ordinal))
                {
                    d.Add(h.PosOf("header"), "type", $"'header' in {where} is written 'name: value', e.g. 'cache-control: no-cache'");
                }

                var tokenEnv = h.String("token-env");
                var target = Endpoint(h);
                if (tokenEnv is not null && target?.Url is { } url && Loopback.CleartextProblem(new Uri(url)) is { } cleartext)
                {
                    d.Add(h.PosOf("url"), "cleartext", $"{where} sends the bearer token from ${tokenEnv}, but {cleartext}");
                }

                return target is { } endpoint
                    ? new HttpCheckSpec
                    {
                        Endpoint = endpoint,
                        Method = method,
                        Expect = (int?)h.Integer("expect", 100, 599) ?? 200,
                        Contains = h.String("contains"),
                        Header = header,
                        TokenEnv = tokenEnv,
                    }
                    : null;
            }

            case "budget":
            {
                var b = new MapReader(map, where, d, BudgetKeys);
                var maxBytes = b.Integer("max-bytes", 1, long.MaxValue);
                var maxTtfb = b.Duration("max-ttfb", TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5));
                var samples = (int?)b.Integer("samples", 1, 50) ?? BudgetCheckSpec.DefaultSamples;
                if (!b.Has("max-bytes") && !b.Has("max-ttfb"))
                {
                    d.Add(b.Pos, "missing-key", $"{where} needs 'max-bytes', 'max-ttfb' or both");
                }

                return Endpoint(b) is { } endpoint ? new BudgetCheckSpec { Endpoint = endpoint, MaxBytes = maxBytes, MaxTtfb = maxTtfb, Samples = samples } : null;
            }

            case "command":
            {
                var c = new MapReader(map, where, d, CommandKeys);
                var run = c.String("run", required: true);
                var timeout = c.Duration("timeout", TimeSpan.FromSeconds(1), TimeSpan.FromHours(2));
                var (lane, env) = (c.String("lane"), c.String("env"));
                if ((lane is null) != (env is null) || (lane is null && (c.Has("region") || c.Has("url-env"))))
                {
                    d.Add(c.Pos, "check-target", $"{where} passes a service's URL only with both 'lane' and 'env' ('region' and 'url-env' go with them)");
                    return null;
                }

                var urlEnv = c.String("url-env") ?? "SMOKE_BASE_URL";
                if (Naming.ResourceNames.Variable(urlEnv) is { } badName)
                {
                    d.Add(c.PosOf("url-env"), "name", $"'url-env' in {where} {badName}");
                }

                return run is null ? null : new CommandCheckSpec
                {
                    Run = new CommandText(run, c.PosOf("run")),
                    Timeout = timeout ?? TimeSpan.FromMinutes(5),
                    Service = lane is null ? null : (lane, env!, c.String("region"), c.Pos),
                    UrlEnv = urlEnv,
                };
            }

            case "guard":
                return new GuardCheckSpec { Dir = new MapReader(map, where, d, GuardKeys).String("dir") ?? "." };

            case "rehearsal":
            {
                var g = new MapReader(map, where, d, RehearsalKeys);
                return g.String("lane", required: true) is { } lane ? new RehearsalCheckSpec(lane, g.Pos) : null;
            }

            case "logs":
            {
                var g = new MapReader(map, where, d, LogsKeys);
                var lane = g.String("lane", required: true);
                var env = g.String("env", required: true);
                var severity = g.Enum("severity", Severities) ?? LogSeverity.Error;
                // Cloud Logging keeps entries 30 days by default; a window is read back from when the check runs.
                var window = g.Duration("window", TimeSpan.FromSeconds(1), TimeSpan.FromDays(30)) ?? TimeSpan.FromMinutes(10);
                var max = (int?)g.Integer("max", 0, 100_000) ?? 0;
                return lane is null || env is null
                    ? null
                    : new LogsCheckSpec(lane, env, g.Pos) { Region = g.String("region"), Severity = severity, Window = window, Max = max };
            }

            default:
            {
                var l = new MapReader(map, where, d, LaneRefKeys);
                var lane = l.String("lane", required: true);
                var env = l.String("env", required: true);
                return lane is null || env is null ? null : new LaneCheckSpec(type, lane, env, l.Pos) { Region = l.String("region") };
            }
        }
    }

    /// <summary>An endpoint is a lane's service in an environment plus a path, or an absolute URL.</summary>
    private static HttpEndpoint? Endpoint(MapReader r)
    {
        var lane = r.String("lane");
        var env = r.String("env");
        var region = r.String("region");
        var path = r.String("path");
        var url = r.String("url");
        if (url is not null)
        {
            if (lane is not null || path is not null || region is not null)
            {
                r.Diagnostics.Add(r.PosOf("url"), "check-target", $"{r.Context} names both 'url' and 'lane'/'region'/'path'; use one");
                return null;
            }

            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                r.Diagnostics.Add(r.PosOf("url"), "check-target", $"'url' in {r.Context} must be an absolute http(s) URL, not '{(url.Contains('@', StringComparison.Ordinal) ? "(a URL with user information, not shown)" : url)}'");
                return null;
            }

            if (uri.UserInfo.Length > 0)
            {
                // Not echoed: the URL holds a password, and diagnostics go to terminals and CI logs.
                r.Diagnostics.Add(r.PosOf("url"), "check-target", $"'url' in {r.Context} carries a user name or password, which would be written to logs and evidence; remove it and give a token with 'token-env'");
                return null;
            }

            return new HttpEndpoint(null, null, null, url, r.Pos);
        }

        if (lane is null || env is null || path is null)
        {
            r.Diagnostics.Add(r.Pos, "check-target", $"{r.Context} needs 'lane', 'env' and 'path', or a 'url'");
            return null;
        }

        if (path.StartsWith("//", StringComparison.Ordinal) || path.Contains('\\', StringComparison.Ordinal))
        {
            r.Diagnostics.Add(r.PosOf("path"), "path", $"'path' in {r.Context} must be a path on the lane's service, not '{path}': '//' or '\\' would name another host (write 'url' for another host)");
            return null;
        }

        if (!path.StartsWith('/'))
        {
            r.Diagnostics.Add(r.PosOf("path"), "path", $"'path' in {r.Context} must start with '/', not '{path}'");
            return null;
        }

        return new HttpEndpoint(lane, env, path, null, r.Pos) { Region = region };
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex IdPattern();
}
