using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Core.Text;

namespace DeployMatrix.Cli.Commands;

/// <summary>
/// <c>maintenance enable|disable|status LANE --env ENV</c>: answer 503 (health probes excepted) while
/// work is done behind the service; holders of the bypass token get a signed 15-minute cookie. The
/// rules and the platforms' parts are the engine's (<see cref="MaintenanceOperation"/>).
/// </summary>
internal static class MaintenanceCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("maintenance", "Put a service in maintenance mode (503 for everything but /healthz and /readyz, a signed bypass cookie for holders of the secret token), take it out, or show its state.");
        var enable = Make("enable", "Answer 503 with Retry-After to every request but health probes and bypass-cookie holders. Creates the bypass token on first use (local: .deploymatrix/secrets/, mode 0600; Cloud Run: a Secret Manager secret); the token is never printed.", out var target);
        var message = new Option<string?>("--message") { Description = "What the 503 page says (default: a short notice).", HelpName = "TEXT" };
        var retryAfter = new Option<int>("--retry-after") { Description = "Seconds clients are told to wait (Retry-After), 1..86400 (default 300).", HelpName = "SECONDS", DefaultValueFactory = _ => MaintenanceOperation.DefaultRetryAfter };
        enable.Options.Add(message);
        enable.Options.Add(retryAfter);
        enable.Options.Add(context.Options.Yes);
        Act(context, enable, target, (op, lane, env, result, ct) => op.EnableAsync(lane, env, result.GetValue(message), result.GetValue(retryAfter), ct));
        var disable = Make("disable", "Serve requests again (Cloud Run: the image and traffic split from before maintenance are restored).", out target);
        disable.Options.Add(context.Options.Yes);
        Act(context, disable, target, (op, lane, env, _, ct) => op.DisableAsync(lane, env, ct));
        var status = Make("status", "Show whether the service is in maintenance, since when, by whom, and how to get a bypass cookie.", out target);
        Act(context, status, target, (op, lane, env, _, ct) => op.StatusAsync(lane, env, ct));
        command.Subcommands.Add(enable);
        command.Subcommands.Add(disable);
        command.Subcommands.Add(status);
        return command;
    }

    private static Command Make(string name, string description, out TargetArguments target)
    {
        var command = new Command(name, description);
        target = new TargetArguments("The service lane.");
        target.AddTo(command);
        return command;
    }

    private static void Act(CliContext context, Command command, TargetArguments target,
        Func<MaintenanceOperation, string, string, ParseResult, CancellationToken, Task<MaintenanceResult>> action) =>
        command.SetAction(async (result, ct) =>
        {
            var (lane, env) = target.Read(result);
            using var ws = WorkspaceFactory.Open(result, context);
            if (command.Options.Contains(context.Options.Yes))
            {
                Confirmation.Ask(result, context, ws.Matrix, env, $"maintenance {command.Name} {lane}");
            }

            var done = await action(new MaintenanceOperation(ws) { Region = target.Region(result) }, lane, env, result, ct);
            if (context.Options.Json(result))
            {
                Json.Write(context.Out, "maintenance", new { Command = command.Name, Lane = lane, Environment = env, Region = target.Region(result), done.Ok, Messages = done.Lines });
                return done.Ok ? 0 : 1;
            }

            foreach (var line in done.Lines)
            {
                context.Out.WriteLine(UntrustedText.OneLine(line)); // (a message is what someone typed)
            }

            return done.Ok ? 0 : 1;
        });
}
