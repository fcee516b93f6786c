using Npgsql;

namespace DeployMatrix.State;

/// <summary>
/// Where a matrix's state lives: a SQLite file on this machine, or a PostgreSQL database given as a URI
/// (<c>postgresql://USER:PASSWORD@HOST:PORT/DB?sslmode=require</c>) or a connection string
/// (<c>Host=…;Username=…;Password=…;Database=…</c>). The connection string holds a secret: it is never
/// shown; <see cref="Describe"/> and <see cref="ToString"/> say <c>postgresql://USER@HOST:PORT/DB</c>.
/// </summary>
public sealed class StateLocation
{
    private static readonly Dictionary<string, string> UriParameters = new(StringComparer.Ordinal)
    {
        ["sslmode"] = "SSL Mode", ["host"] = "Host", ["port"] = "Port", ["user"] = "Username", ["password"] = "Password", ["dbname"] = "Database",
        ["application_name"] = "Application Name", ["connect_timeout"] = "Timeout", ["search_path"] = "Search Path",
        ["sslrootcert"] = "Root Certificate", ["sslcert"] = "SSL Certificate", ["sslkey"] = "SSL Key",
    };

    private readonly string? _password;

    private StateLocation(string? sqlitePath, string? connectionString, string describe, string? password)
    {
        SqlitePath = sqlitePath;
        ConnectionString = connectionString;
        Describe = describe;
        _password = password;
    }

    /// <summary>The SQLite file, or null for PostgreSQL.</summary>
    public string? SqlitePath { get; }

    /// <summary>The Npgsql connection string (with its password), or null for SQLite. Never printed.</summary>
    internal string? ConnectionString { get; }

    /// <summary>The location without secrets.</summary>
    public string Describe { get; }

    public override string ToString() => Describe;

    public static StateLocation Sqlite(string path) => new(path, null, path, null);

    /// <summary>A PostgreSQL database from a URI or a connection string.</summary>
    /// <param name="source">What named it, for the message when it is wrong (e.g. <c>DEPLOYMATRIX_STATE_URL</c>).</param>
    /// <exception cref="StateStoreException">Not a PostgreSQL URI or connection string; the message never repeats the value.</exception>
    public static StateLocation Postgres(string urlOrConnectionString, string source)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = urlOrConnectionString.StartsWith("postgres://", StringComparison.Ordinal) || urlOrConnectionString.StartsWith("postgresql://", StringComparison.Ordinal)
                ? FromUri(new Uri(urlOrConnectionString), source)
                : new NpgsqlConnectionStringBuilder(urlOrConnectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            throw new StateStoreException($"{source} is not a PostgreSQL URI (postgresql://USER:PASSWORD@HOST:PORT/DB) or connection string (Host=…;Username=…;Database=…): {RedactValue(e.Message, urlOrConnectionString)}");
        }

        if (string.IsNullOrEmpty(builder.Host) || string.IsNullOrEmpty(builder.Database))
        {
            throw new StateStoreException($"{source} names no {(string.IsNullOrEmpty(builder.Host) ? "host" : "database")}; give postgresql://USER:PASSWORD@HOST:PORT/DB");
        }

        var password = builder.Password;
        // Closing a connection must end its session: that is what frees its locks and marks its rollouts interrupted.
        builder.Pooling = false;
        builder.Enlist = false;
        builder.IncludeErrorDetail = false;
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "deploymatrix";
        }

        var describe = $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        return new StateLocation(null, builder.ConnectionString, describe, string.IsNullOrEmpty(password) ? null : password);
    }

    /// <summary><paramref name="text"/> with the password, should it appear, replaced by <c>***</c>.</summary>
    internal string Redact(string text) => _password is { Length: > 0 } p ? text.Replace(p, "***", StringComparison.Ordinal) : text;

    private static string RedactValue(string message, string value) => message.Contains(value, StringComparison.Ordinal) ? "it cannot be read" : message;

    private static NpgsqlConnectionStringBuilder FromUri(Uri uri, string source)
    {
        var builder = new NpgsqlConnectionStringBuilder();
        if (uri.Host.Length > 0)
        {
            builder.Host = uri.Host;
        }

        if (uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        var user = uri.UserInfo.Split(':', 2);
        if (user[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(user[0]);
        }

        if (user.Length == 2)
        {
            builder.Password = Uri.UnescapeDataString(user[1]);
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = pair.Split('=', 2) is [var k, var v] ? (Uri.UnescapeDataString(k), Uri.UnescapeDataString(v)) : (Uri.UnescapeDataString(pair), "");
            if (!UriParameters.TryGetValue(key, out var keyword))
            {
                throw new StateStoreException($"{source}: unknown parameter '{key}'; known: {string.Join(", ", UriParameters.Keys)}");
            }

            // libpq writes verify-full; Npgsql reads VerifyFull.
            builder[keyword] = key == "sslmode" ? value.Replace("-", "", StringComparison.Ordinal) : value;
        }

        return builder;
    }
}
