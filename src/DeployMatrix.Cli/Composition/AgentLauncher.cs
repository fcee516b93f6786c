using DeployMatrix.Engine;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Local;
using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Proxy;

namespace DeployMatrix.Cli.Composition;

/// <summary>Starts the agent as a daemon (its own session, output to agent.log) and waits until it answers.</summary>
internal static class AgentLauncher
{
    public static async Task<AgentClient> StartAsync(string matrixPath, LocalPaths paths, IProcessRunner processes, TimeProvider time, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(paths.AgentLog)!);
        File.Delete(paths.AgentJson);
        var (exe, prefix) = SelfCommand();
        // setsid detaches the agent from this terminal's session; sh only redirects its output. The agent's
        // arguments are passed as positional parameters, never spliced into the script text.
        var started = await processes.RunAsync(new ProcessSpec
        {
            Program = "setsid",
            Args = ["--fork", "sh", "-c", "exec \"$@\" >>\"$LOG\" 2>&1 </dev/null", "sh", exe, .. prefix, "agent", "run", "--file", matrixPath],
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

    /// <summary>How to run this program again: its apphost, else 'dotnet deploymatrix.dll' (also when hosted by another process, as in tests).</summary>
    private static (string Exe, string[] Prefix) SelfCommand()
    {
        var processPath = Environment.ProcessPath ?? "dotnet";
        if (Path.GetFileName(processPath) == "deploymatrix")
        {
            return (processPath, []);
        }

        var dotnet = Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? processPath : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return (dotnet, [typeof(AgentLauncher).Assembly.Location]);
    }
}
