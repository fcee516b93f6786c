using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using DeployMatrix.Core;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Engine.Rehearsal;

/// <summary>
/// The rule that keeps a rehearsal off the environment's data: which of a target's variables lead to data outside the
/// scratch (a database, a cache, a queue the environment itself uses). The scratch revisions and migration job get the
/// target's variables, so each of these must be replaced by the lane's data command (<see cref="ScratchData"/>), or the
/// candidate's migration would run against the real data. The one place this rule lives: the refusal before a rehearsal
/// starts and the check after its data command both ask it.
/// </summary>
/// <remarks>
/// The lists are small on purpose: they name the conventions services use to find their data (the Twelve-Factor
/// <c>DATABASE_URL</c>, libpq's <c>PG*</c> variables, <c>*_DSN</c>, the usual Redis, MongoDB and AMQP URLs), and a
/// value is caught by what it is (a URL whose scheme is a database or queue and whose host is another machine, or a
/// keyword/value connection string naming a database on another machine)
/// whatever its variable is called. A name is caught whatever its value, loopback too: on the local platform the
/// environment's own database is as likely to be on this machine as anywhere.
/// </remarks>
public static partial class RealDataVariables
{
    /// <summary>Names caught exactly.</summary>
    private static readonly HashSet<string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        "DATABASE_URL", "DSN", "REDIS_URL", "AMQP_URL", "RABBITMQ_URL", "CLOUDAMQP_URL",
        // libpq reads these when a connection string leaves them out (PostgreSQL's "Environment Variables").
        "PGHOST", "PGHOSTADDR", "PGDATABASE", "PGSERVICE",
    };

    /// <summary>Suffixes caught after a prefix (<c>ANALYTICS_DATABASE_URL</c>, <c>ORDERS_DSN</c>; a DSN holding an http(s) URL, as Sentry's, is not data).</summary>
    private static readonly string[] Suffixes = ["_DATABASE_URL", "_DSN", "_REDIS_URL"];

    /// <summary>Prefixes caught before a <c>_URL</c> or <c>_URI</c> ending (<c>MONGO_URL</c>, <c>MONGODB_URI</c>, <c>RABBITMQ_DEFAULT_URL</c>).</summary>
    private static readonly string[] UrlPrefixes = ["MONGO", "AMQP", "RABBITMQ"];

    /// <summary>URL schemes of databases, caches and queues (a URL with one of these, to another machine, is data elsewhere).</summary>
    private static readonly HashSet<string> Schemes = new(StringComparer.OrdinalIgnoreCase)
    {
        "postgres", "postgresql", "mysql", "mysql2", "mariadb", "redis", "rediss", "mongodb", "mongodb+srv",
        "amqp", "amqps", "sqlserver", "mssql", "oracle", "cockroachdb", "clickhouse", "nats", "kafka", "memcached",
    };

    /// <summary>The target's variables that lead to data outside the scratch, by name or by value, in ordinal order.</summary>
    /// <returns>Names only (values are never part of what this says).</returns>
    /// <remarks>
    /// A <c>requires</c> entry with <c>secret: true</c> counts by its name alone: where a secret comes from a secret
    /// store its value is not known here.
    /// </remarks>
    public static IReadOnlyList<string> Find(ResolvedTarget target) =>
        [.. target.Env.Where(e => (ByName(e.Key) && !IsReportingEndpoint(e.Key, e.Value)) || ByValue(e.Value)).Select(e => e.Key)
            .Concat(target.Requires.Where(r => r.Secret && ByName(r.Name)).Select(r => r.Name))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Of <paramref name="leading"/>, those the data command did not replace: not set by it, or set to the target's own value.</summary>
    public static IReadOnlyList<string> NotReplaced(IReadOnlyList<string> leading, IReadOnlyDictionary<string, string> targetEnv, IReadOnlyDictionary<string, string> scratchEnv) =>
        [.. leading.Where(name => !scratchEnv.TryGetValue(name, out var value)
            || (targetEnv.TryGetValue(name, out var real) && string.Equals(real, value, StringComparison.Ordinal)))];

    /// <summary>
    /// A <c>*_DSN</c> holding an http(s) URL is where a client reports to (Sentry's DSN, <c>https://KEY@o1.ingest.sentry.io/2</c>),
    /// not the environment's data: a rehearsal need not replace it. Databases named by a DSN are not reached over http.
    /// </summary>
    private static bool IsReportingEndpoint(string name, string value) =>
        name.EndsWith("DSN", StringComparison.OrdinalIgnoreCase)
        && (value.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("http://", StringComparison.OrdinalIgnoreCase));

    /// <summary>What a variable's name says: it is one of the conventions for finding data.</summary>
    public static bool ByName(string name) =>
        Names.Contains(name)
        || Suffixes.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase))
        || (UrlPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase))
            && (name.EndsWith("_URL", StringComparison.OrdinalIgnoreCase) || name.EndsWith("_URI", StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// What a value says: a URL (<c>SCHEME://[USER[:PASSWORD]@]HOST[:PORT][,HOST…]/…</c>) of a database or queue scheme with
    /// a host that is not this machine (anything but <c>localhost</c>, 127.0.0.0/8, <c>::1</c>, or none: a local socket).
    /// A <c>host=</c> parameter in its query (libpq's) counts as a host too, unless it is a socket's folder.
    /// </summary>
    public static bool ByValue(string value)
    {
        var separator = value.IndexOf("://", StringComparison.Ordinal);
        if (separator < 0)
        {
            return ByKeywords(value);
        }

        if (separator == 0 || !Schemes.Contains(Scheme(value[..separator])))
        {
            return false;
        }

        var rest = value[(separator + 3)..];
        var end = rest.IndexOfAny(['/', '?', '#']);
        var authority = end < 0 ? rest : rest[..end];
        var hosts = authority[(authority.LastIndexOf('@') + 1)..].Split(',').Select(StripPort).ToList();
        var query = rest.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? rest[(q + 1)..] : "";
        hosts.AddRange(query.Split('&').Where(p => p.StartsWith("host=", StringComparison.OrdinalIgnoreCase))
            .Select(p => Uri.UnescapeDataString(p[5..])).Where(h => !h.StartsWith('/')));
        return hosts.Any(h => !IsLoopback(h));
    }

    /// <summary>Keys that name where a keyword/value connection string connects (libpq's, and ADO.NET's as Npgsql and SQL Server write them).</summary>
    private static readonly HashSet<string> HostKeys = new(StringComparer.OrdinalIgnoreCase) { "host", "hostaddr", "server", "data source", "address", "addr" };

    /// <summary>Keys that name its database: with a host key, they make a value a connection string and not some other setting.</summary>
    private static readonly HashSet<string> DatabaseKeys = new(StringComparer.OrdinalIgnoreCase) { "dbname", "database", "initial catalog" };

    /// <summary>
    /// A connection string in keyword/value form — libpq's <c>host=db.internal port=5432 dbname=app</c> (PostgreSQL's
    /// "Connection Strings", 34.1.1) or ADO.NET's <c>Host=db.internal;Database=app;Username=…</c> — that names a
    /// database and a host that is not this machine (a libpq host starting with <c>/</c> is a socket's folder).
    /// </summary>
    private static bool ByKeywords(string value)
    {
        var pairs = KeywordPairs(value);
        if (!pairs.Any(p => DatabaseKeys.Contains(p.Key)))
        {
            return false;
        }

        return pairs.Where(p => HostKeys.Contains(p.Key))
            .SelectMany(p => p.Value.Split(',').Take(p.Key.Equals("server", StringComparison.OrdinalIgnoreCase) || p.Key.Equals("data source", StringComparison.OrdinalIgnoreCase) ? 1 : int.MaxValue))
            .Select(h => StripPort(StripProtocol(h.Trim().Trim('\'', '"'))))
            .Any(h => !h.StartsWith('/') && !IsLoopback(h));
    }

    /// <summary>
    /// The pairs of a keyword/value connection string. ADO.NET's (<c>;</c>-separated) form is read by the BCL's
    /// <see cref="DbConnectionStringBuilder"/>, with its quoting as drivers read it. libpq's space-separated form has no
    /// parser in .NET (Npgsql reads only ADO.NET's), so it is split here: <c>key = value</c> pairs, a value optionally in
    /// single quotes (PostgreSQL's "Keyword/Value Connection Strings", 34.1.1.1). A value that is neither gives no pairs.
    /// </summary>
    private static List<KeyValuePair<string, string>> KeywordPairs(string value)
    {
        if (value.Contains(';', StringComparison.Ordinal))
        {
            var builder = new DbConnectionStringBuilder();
            try
            {
                builder.ConnectionString = value;
            }
            catch (ArgumentException)
            {
                return [];
            }

            return [.. builder.Keys.Cast<string>().Select(k => KeyValuePair.Create(k, Convert.ToString(builder[k], CultureInfo.InvariantCulture) ?? ""))];
        }

        return [.. SpacesAroundEquals().Replace(value, "=").Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2 && p[0].Length > 0)
            .Select(p => KeyValuePair.Create(p[0], p[1]))];
    }

    [GeneratedRegex(@"\s*=\s*")]
    private static partial Regex SpacesAroundEquals();

    /// <summary>SQL Server's <c>tcp:host,1433</c> names its protocol first.</summary>
    private static string StripProtocol(string host) =>
        host.IndexOf(':', StringComparison.Ordinal) is var colon and > 0 && host[..colon] is "tcp" or "np" or "lpc" ? host[(colon + 1)..] : host;

    /// <summary>
    /// The database's scheme in the forms drivers write it: <c>jdbc:postgresql</c> (JDBC) and
    /// <c>postgresql+psycopg2</c> (SQLAlchemy's dialect+driver) are <c>postgresql</c>.
    /// </summary>
    private static string Scheme(string written)
    {
        var scheme = written.Trim();
        scheme = scheme.StartsWith("jdbc:", StringComparison.OrdinalIgnoreCase) ? scheme[5..] : scheme;
        // mongodb+srv is a scheme of its own (DNS seed list); any other '+' joins a dialect and its driver.
        return scheme.Equals("mongodb+srv", StringComparison.OrdinalIgnoreCase) || scheme.IndexOf('+', StringComparison.Ordinal) is not (var plus and > 0) ? scheme : scheme[..plus];
    }

    private static string StripPort(string host)
    {
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']', StringComparison.Ordinal);
            return close < 0 ? host : host[1..close];
        }

        var colon = host.LastIndexOf(':');
        return colon < 0 ? host : host[..colon];
    }

    private static bool IsLoopback(string host) =>
        host.Length == 0
        || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(Uri.UnescapeDataString(host), out var address) && IPAddress.IsLoopback(address));

    /// <summary>Refuses a rehearsal of a target with such variables and no data command to replace them, before anything starts.</summary>
    /// <exception cref="OperationException">Exit 2 (the lane lacks what a rehearsal of it needs, as one without a migration job): one line naming the variables, never their values, and the fix.</exception>
    public static void RefuseWithoutDataCommand(ResolvedTarget target)
    {
        if (Find(target) is { Count: > 0 } names)
        {
            throw new OperationException(
                $"{target.Lane} in {target.Environment} has {List(names)}, which {Lead(names)} to data outside the rehearsal's scratch (the environment's own), and a rehearsal never touches it; "
                + $"nothing was started: add rehearsal: {{ data: {{ command: … }} }} to {target.Lane}, whose command writes {Lines(names)} to ${ScratchData.EnvFileVariable}",
                ExitCodes.BadInput);
        }
    }

    /// <summary>The line of a data command that left some of them as they were (the data phase fails with it, and nothing else starts).</summary>
    public static string NotReplacedReason(IReadOnlyList<string> names) =>
        $"the data command did not replace {List(names)}, which {Lead(names)} to data outside the rehearsal's scratch (the environment's own); "
        + $"nothing was started: make it write {Lines(names)} to ${ScratchData.EnvFileVariable}";

    private static string List(IReadOnlyList<string> names) => string.Join(", ", names);

    private static string Lead(IReadOnlyList<string> names) => names.Count == 1 ? "leads" : "lead";

    private static string Lines(IReadOnlyList<string> names) => string.Join(", ", names.Select(n => n + "=scratch-value")) + (names.Count == 1 ? " as a line" : " lines");
}
