using DeployMatrix.Engine;
using DeployMatrix.Engine.Files;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Local.Proxy;

namespace DeployMatrix.Local.Agent;

/// <summary>
/// The local platform's agent as the <c>agent</c> commands see it: started as a daemon (its own session,
/// output to agent.log), stopped politely, asked what it serves.
/// </summary>
public static class AgentDaemon
{
    /// <summary>How long the agent gets to stop once asked: its revisions drain and get their grace period first.</summary>
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(60);

    /// <summary>A running agent and what it serves.</summary>
    public sealed record Running(AgentInfo Info, IReadOnlyList<ServiceView> Services);

    /// <summary>Starts the agent unless one already answers.</summary>
    /// <param name="command">The agent's command line: the program and its arguments (e.g. <c>deploymatrix agent run --file M</c>).</param>
    /// <returns>The agent's pid and URL, and whether this call started it.</returns>
    /// <exception cref="OperationException">The process cannot be started or does not answer within 30 s.</exception>
    public static async Task<(AgentInfo Info, bool Started)> StartAsync(IReadOnlyList<string> command, LocalPaths paths, IProcessRunner processes, TimeProvider time, CancellationToken cancellationToken)
    {
        using (var running = await AgentClient.ConnectAsync(paths, cancellationToken))
        {
            if (running is not null)
            {
                return (running.Info, false);
            }
        }

        using var client = await LaunchAsync(command, paths, processes, time, cancellationToken);
        return (client.Info, true);
    }

    /// <summary>Asks the agent to stop (revisions get SIGINT, a grace period, then are killed) and waits for its process to end.</summary>
    /// <returns>The pid of the agent that stopped; null when none was running.</returns>
    /// <exception cref="OperationException">The agent is still alive 60 s after it was asked to stop.</exception>
    public static async Task<int?> StopAsync(LocalPaths paths, TimeProvider time, CancellationToken cancellationToken)
    {
        using var client = await AgentClient.ConnectAsync(paths, cancellationToken);
        if (client is null)
        {
            return null;
        }

        var pid = client.Info.Pid;
        await client.ShutdownAsync(cancellationToken);
        var deadline = time.GetUtcNow() + StopPatience;
        while (Signals.IsAlive(pid) && time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }

        return Signals.IsAlive(pid)
            ? throw new OperationException($"the agent (pid {pid}) did not stop within {StopPatience.TotalSeconds:0} s; see {paths.AgentLog}")
            : pid;
    }

    /// <returns>The running agent and its services; null when none answers.</returns>
    public static async Task<Running?> StatusAsync(LocalPaths paths, CancellationToken cancellationToken)
    {
        using var client = await AgentClient.ConnectAsync(paths, cancellationToken);
        return client is null ? null : new Running(client.Info, await client.ServicesAsync(cancellationToken));
    }

    private static async Task<AgentClient> LaunchAsync(IReadOnlyList<string> command, LocalPaths paths, IProcessRunner processes, TimeProvider time, CancellationToken cancellationToken)
    {
        StateFolder.Ensure(paths.Root);
        Directory.CreateDirectory(Path.GetDirectoryName(paths.AgentLog)!);
        File.Delete(paths.AgentJson);
        // setsid detaches the agent from this terminal's session; sh only redirects its output. The agent's
        // arguments are passed as positional parameters, never spliced into the script text.
        var started = await processes.RunAsync(new ProcessSpec
        {
            Program = "setsid",
            Args = ["--fork", "sh", "-c", "exec \"$@\" >>\"$LOG\" 2>&1 </dev/null", "sh", .. command],
            WorkingDirectory = paths.Root,
            Env = new Dictionary<string, string?> { ["LOG"] = paths.AgentLog, [ServiceProxy.InlineCompletionsVariable] = "1" },
            Timeout = TimeSpan.FromSeconds(30),
        }, cancellationToken);
        if (started.ExitCode != 0)
        {
            throw new OperationException($"cannot start the agent process: {started.LastError}");
        }

        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(30);
        while (time.GetUtcNow() < deadline)
        {
            if (await AgentClient.ConnectAsync(paths, cancellationToken) is { } client)
            {
                return client;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }

        throw new OperationException($"the agent did not come up within 30 s; see {paths.AgentLog}");
    }
}
