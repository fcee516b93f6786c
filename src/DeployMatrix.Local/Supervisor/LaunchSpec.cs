using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.Local.Supervisor;

/// <summary>Everything needed to (re)start a revision or job process; stored with the revision so a restarted agent can start it again.</summary>
public sealed record LaunchSpec
{
    public required string Executable { get; init; }

    public IReadOnlyList<string> Args { get; init; } = [];

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    public required string WorkingDirectory { get; init; }

    /// <value>The readiness path; the default is <c>/readyz</c>.</value>
    public string Probe { get; init; } = "/readyz";

    /// <value>How the revision speaks HTTP (its readiness probe and the proxy use it); the default is HTTP/1.1.</value>
    public ServingProtocol Protocol { get; init; } = ServingProtocol.Http1;

    /// <value>How long a request to the revision may take, and so how long it may drain; the default is 300 seconds.</value>
    public TimeSpan RequestTimeout { get; init; } = ServingPolicy.Default.RequestTimeout;

    /// <summary>
    /// The child to start: this launch's variables and the platform's own (<paramref name="extraEnv"/>: PORT,
    /// DEPLOYMATRIX_*) on an otherwise empty environment (<see cref="RevisionEnvironment"/>), its output
    /// appended to <paramref name="logPath"/>.
    /// </summary>
    /// <param name="clock">When given, stamps each line of the log with when it came (a revision's: the gate's log probes read windows of it).</param>
    public ProcessSpec Process(IReadOnlyDictionary<string, string> extraEnv, string logPath, TimeSpan stopGrace, TimeProvider? clock = null)
    {
        var env = RevisionEnvironment.Build(Env, extraEnv, Environment.GetEnvironmentVariable);
        return new ProcessSpec
        {
            Program = Executable,
            Args = Args,
            WorkingDirectory = WorkingDirectory,
            Env = env,
            InheritEnvironment = false,
            LogPath = logPath,
            LogTimestamps = clock,
            Capture = false,
            StopGrace = stopGrace,
        };
    }
}

/// <summary>Loopback ports for new processes.</summary>
public static class Ports
{
    /// <summary>A free loopback port. Another process could take it before ours binds; readiness will tell.</summary>
    public static int Free()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
