using System.Diagnostics;
using DeployMatrix.Core;
using DeployMatrix.Local;
using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Proxy;

namespace DeployMatrix.Cli.Local;

/// <summary>Starts the agent as a daemon (its own session, output to agent.log) and waits until it answers.</summary>
internal static class AgentLauncher
{
    public static async Task<AgentClient> StartAsync(string matrixPath, LocalPaths paths, TimeProvider time, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(paths.AgentLog)!);
        File.Delete(paths.AgentJson);
        var (exe, prefix) = SelfCommand();
        // setsid detaches the agent from this terminal's session; sh only redirects its output. The agent's
        // arguments are passed as positional parameters, never spliced into the script text.
        var start = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--fork", "sh", "-c", "exec \"$@\" >>\"$LOG\" 2>&1 </dev/null", "sh", exe }.Concat(prefix).Concat(["agent", "run", "--file", matrixPath]))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["LOG"] = paths.AgentLog;
        start.Environment[ServiceProxy.InlineCompletionsVariable] = "1";
        using (var process = Process.Start(start) ?? throw new CommandFailure("cannot start the agent process", ExitCodes.Failed))
        {
            await process.WaitForExitAsync(cancellationToken);
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

        throw new CommandFailure($"the agent did not come up within 30 s; see {paths.AgentLog}", ExitCodes.Failed);
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
