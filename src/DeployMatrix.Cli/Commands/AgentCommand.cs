using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Core;
using DeployMatrix.Local;
using DeployMatrix.Local.Agent;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix agent start|stop|status</c>: the local platform's daemon.</summary>
internal static class AgentCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("agent", "Manage the local platform's agent: it owns the revision processes and the services' traffic listeners (loopback only).");
        var start = new Command("start", "Start the agent in the background (pid, log and agent.json under .deploymatrix/); it restores every revision that should run.");
        start.SetAction((result, ct) => StartAsync(result, context, ct));
        var stop = new Command("stop", "Stop the agent politely: revisions get SIGINT, a grace period, then are killed.");
        stop.SetAction((result, ct) => StopAsync(result, context, ct));
        var status = new Command("status", "Say whether the agent runs, where, and what it serves. Exit 1 when it is not running.");
        status.SetAction((result, ct) => StatusAsync(result, context, ct));
        var run = new Command("run", "Run the agent in the foreground (what 'agent start' runs in the background).") { Hidden = true };
        run.SetAction((result, ct) => RunAsync(result, context, ct));
        command.Subcommands.Add(start);
        command.Subcommands.Add(stop);
        command.Subcommands.Add(status);
        command.Subcommands.Add(run);
        return command;
    }

    private static LocalPaths PathsOf(ParseResult result, CliContext context, out string matrixPath)
    {
        matrixPath = MatrixSource.Locate(result, context);
        return LocalPaths.For(Path.GetDirectoryName(matrixPath)!);
    }

    private static async Task<int> StartAsync(ParseResult result, CliContext context, CancellationToken ct)
    {
        var paths = PathsOf(result, context, out var matrixPath);
        MatrixSource.Load(result, context);
        var (info, started) = await AgentDaemon.StartAsync(SelfCommand.Of("agent", "run", "--file", matrixPath), paths, WorkspaceFactory.Processes(context), context.Time, ct);
        if (context.Options.Json(result))
        {
            Json.Write(context.Out, "agent", new { Running = true, Started = started, info.Pid, info.Url, info.StartedAt, Log = MatrixSource.Display(paths.AgentLog, context) });
            return ExitCodes.Ok;
        }

        context.Out.WriteLine(started
            ? $"agent started (pid {info.Pid}) at {info.Url}; log: {MatrixSource.Display(paths.AgentLog, context)}"
            : $"agent already running (pid {info.Pid}) at {info.Url}");
        return ExitCodes.Ok;
    }

    private static async Task<int> StopAsync(ParseResult result, CliContext context, CancellationToken ct)
    {
        var pid = await AgentDaemon.StopAsync(PathsOf(result, context, out _), context.Time, ct);
        if (context.Options.Json(result))
        {
            Json.Write(context.Out, "agent", new { Running = false, StoppedPid = pid });
            return ExitCodes.Ok;
        }

        context.Out.WriteLine(pid is null ? "agent is not running" : $"agent stopped (pid {pid})");
        return ExitCodes.Ok;
    }

    private static async Task<int> StatusAsync(ParseResult result, CliContext context, CancellationToken ct)
    {
        var running = await AgentDaemon.StatusAsync(PathsOf(result, context, out _), ct);
        if (context.Options.Json(result))
        {
            // The agent's token stays out: it opens the agent and the dashboard.
            Json.Write(context.Out, "agent", new
            {
                Running = running is not null, running?.Info.Pid, running?.Info.Url, running?.Info.StartedAt,
                Services = running?.Services.Select(s => new { s.Service, s.Lane, Environment = s.Env, s.Url, s.Traffic }),
            });
            return running is null ? ExitCodes.Failed : ExitCodes.Ok;
        }

        if (running is not { } agent)
        {
            context.Out.WriteLine("agent is not running; start it with: deploymatrix agent start");
            return ExitCodes.Failed;
        }

        var (info, services) = (agent.Info, agent.Services);
        context.Out.WriteLine($"agent running (pid {info.Pid}) at {info.Url} since {info.StartedAt}; {services.Count} service{(services.Count == 1 ? "" : "s")}");
        foreach (var service in services)
        {
            context.Out.WriteLine($"  {service.Service} ({service.Env}) on {service.Url ?? "no listener"}: {string.Join(",", service.Traffic.Select(t => $"{t.Revision}={t.Percent}"))}");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken ct)
    {
        Json.Refuse(result, context, "agent run serves until stopped; it has no document to print (agent status --output json has one)");
        var paths = PathsOf(result, context, out _);
        // The agent keeps its state where the commands keep theirs (a shared database too), so they read what it writes.
        var location = StateSelection.Of(MatrixSource.Load(result, context), context.Env);
        return await AgentServer.RunAsync(paths, location, new AgentOptions(), context.Time, ct);
    }
}
