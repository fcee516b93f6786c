using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace DeployMatrix.Tests.Support;

/// <summary>
/// A real PostgreSQL server the tests start themselves, once per test run: <c>initdb</c> into a scratch
/// folder, <c>pg_ctl start</c> on a free loopback port, a login with a password (SCRAM), stopped when the
/// test process exits. Run as root (CI), the server runs as the unprivileged <c>postgres</c> user, since
/// PostgreSQL refuses to run as root. Each test takes a database of its own (<see cref="CreateDatabase"/>).
/// </summary>
internal sealed class PostgresServer
{
    private static readonly Lazy<PostgresServer> Shared = new(Start);
    private static int _databases;

    private PostgresServer(string folder, int port, string password)
    {
        Folder = folder;
        Port = port;
        Password = password;
    }

    /// <summary>The server of this test run, started on first use.</summary>
    public static PostgresServer Instance => Shared.Value;

    public const string User = "deploymatrix";

    /// <summary>The login's password: a secret no output, log, receipt or evidence may show.</summary>
    public string Password { get; }

    public int Port { get; }

    private string Folder { get; }

    /// <summary>A new, empty database; returns its URI (with the password).</summary>
    public string CreateDatabase()
    {
        var name = $"dm_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE {name}";
        command.ExecuteNonQuery();
        return $"postgresql://{User}:{Password}@127.0.0.1:{Port}/{name}";
    }

    /// <summary>An Npgsql connection string to one of the server's databases, for tests that look at or change rows themselves.</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username={User};Password={Password};Database={database};Pooling=false";

    private static PostgresServer Start()
    {
        var bin = FindBinaries();
        var folder = Path.Combine(Path.GetTempPath(), "dm-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var password = "pw-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        File.WriteAllText(Path.Combine(folder, "pw"), password);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            Run("chown", ["-R", "postgres", folder], asPostgres: false);
        }

        var data = Path.Combine(folder, "data");
        Run(Path.Combine(bin, "initdb"), ["-D", data, "-U", User, "--pwfile", Path.Combine(folder, "pw"), "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--no-sync"], asRoot);
        File.Delete(Path.Combine(folder, "pw"));
        var port = TestPorts.Free();
        Run(Path.Combine(bin, "pg_ctl"), ["start", "-w", "-t", "60", "-D", data, "-l", Path.Combine(folder, "server.log"),
            "-o", $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"], asRoot);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Run(Path.Combine(bin, "pg_ctl"), ["stop", "-m", "immediate", "-D", data], asRoot, check: false);
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the server's files are scratch.
            }
        };
        return new PostgresServer(folder, port, password);
    }

    /// <summary>initdb and pg_ctl on PATH, else in Debian's versioned folder.</summary>
    /// <summary>
    /// The folder of the server's programs (<c>initdb</c>, <c>pg_ctl</c>, <c>pg_dump</c>, <c>psql</c>): where the <c>initdb</c>
    /// found links to, since a PATH folder may link only the two the server needs.
    /// </summary>
    public static string Binaries =>
        new FileInfo(Path.Combine(FindBinaries(), "initdb")).ResolveLinkTarget(returnFinalTarget: true) is { } target
            ? Path.GetDirectoryName(target.FullName)!
            : FindBinaries();

    private static string FindBinaries()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")) : []);
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException("PostgreSQL's initdb and pg_ctl are not installed (.ci/run installs them with apt: postgresql)");
    }


    private static void Run(string program, string[] args, bool asPostgres, bool check = true)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", program })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {output.Result}{error.Result}");
        }
    }
}
