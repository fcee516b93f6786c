using System.CommandLine;
using System.Net;
using System.Text.Json;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Core;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Local;
using DeployMatrix.Web;
using DeployMatrix.Web.Security;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix dashboard [--port N] [--open]</c>: the deploy matrix as a live web page on loopback, until interrupted.</summary>
internal static class DashboardCommand
{
    /// <summary>The default port: fixed, so a bookmark keeps working; <c>--port 0</c> takes any free one.</summary>
    public const int DefaultPort = 7100;

    public static Command Create(CliContext context)
    {
        var port = new Option<int>("--port") { Description = $"Listen on this loopback port (default {DefaultPort}; 0: any free port).", DefaultValueFactory = _ => DefaultPort, HelpName = "N" };
        var open = new Option<bool>("--open") { Description = "Open the dashboard in the default browser (xdg-open or open)." };
        var command = new Command("dashboard",
            "Serve the deploy matrix as a live web page on loopback until interrupted: the matrix, rollouts (with pause, resume, abort, promote), the gate, the history and drills. "
            + "Every request needs the token printed at start (also in .deploymatrix/dashboard.json, mode 0600) or the local agent's.");
        command.Options.Add(port);
        command.Options.Add(open);
        command.SetAction(async (result, ct) =>
        {
            Json.Refuse(result, context, "dashboard serves a web page until interrupted; it has no document to print (its token is in .deploymatrix/dashboard.json)");
            var chosen = result.GetValue(port);
            if (chosen is < 0 or > 65535)
            {
                throw new UsageException($"--port {chosen} is not a port; give 1..65535, or 0 for any free port");
            }

            var matrix = MatrixSource.Load(result, context);
            var paths = LocalPaths.For(matrix.BaseDirectory);
            WorkspaceFactory.OpenStateFolder(paths.Root);
            var actor = $"{Environment.UserName} (dashboard)";
            // Each request reads the matrix file as it is now, so an edit shows on the next load (and a broken one says why).
            var source = new DashboardSource(() => WorkspaceFactory.Open(MatrixSource.Load(result, context), result, context, actor), paths.Root, context.Time);
            var settings = new DashboardSettings
            {
                Source = source,
                Token = DashboardToken.New(() => AgentToken(paths.AgentJson)),
                Address = IPAddress.Loopback,
                Port = chosen,
            };
            await DashboardServer.RunAsync(settings, paths.Root, context.Time, url =>
            {
                context.Out.WriteLine($"dashboard on {url}");
                context.Out.WriteLine("(the token in this URL opens it; it is also in .deploymatrix/dashboard.json, mode 0600; stop with Ctrl-C)");
                if (result.GetValue(open))
                {
                    Open(url, matrix.BaseDirectory, context);
                }
            }, ct);

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The running agent's token (it opens the dashboard too), or null.</summary>
    private static string? AgentToken(string agentJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(agentJson));
            return doc.RootElement.TryGetProperty("token", out var token) ? token.GetString() : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void Open(string url, string directory, CliContext context)
    {
        var program = OperatingSystem.IsMacOS() ? "open" : "xdg-open";
        try
        {
            _ = WorkspaceFactory.Processes(context).Start(new ProcessSpec { Program = program, Args = [url], WorkingDirectory = directory, Capture = false });
        }
        catch (ProcessStartException e)
        {
            context.Err.WriteLine($"deploymatrix: cannot open a browser ({program}: {e.Message}); open the URL above yourself");
        }
    }
}
