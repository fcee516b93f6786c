using System.CommandLine;
using System.Globalization;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core;
using DeployMatrix.Core.Maintenance;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Audit;
using DeployMatrix.State;

namespace DeployMatrix.Cli.Commands;

/// <summary>
/// <c>maintenance enable|disable|status LANE --env ENV</c>: answer 503 (health probes excepted) while
/// work is done behind the service; holders of the bypass token get a signed 15-minute cookie. On the
/// local platform the proxy does it; on Cloud Run the service does it from its environment, with the
/// token in Secret Manager. The token is kept where only its owner can read it and is never printed.
/// </summary>
internal static class MaintenanceCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("maintenance", "Put a service in maintenance mode (503 for everything but /healthz and /readyz, a signed bypass cookie for holders of the secret token), take it out, or show its state.");
        command.Subcommands.Add(Make(context, "enable", "Answer 503 with Retry-After to every request but health probes and bypass-cookie holders. Creates the bypass token on first use (local: .deploymatrix/secrets/, mode 0600; Cloud Run: a Secret Manager secret); the token is never printed.", EnableAsync, withMessage: true));
        command.Subcommands.Add(Make(context, "disable", "Serve requests again (Cloud Run: the image and traffic split from before maintenance are restored).", DisableAsync, withMessage: false));
        command.Subcommands.Add(Make(context, "status", "Show whether the service is in maintenance, since when, by whom, and how to get a bypass cookie.", StatusAsync, withMessage: false));
        return command;
    }

    private sealed record Request(string? Message, int RetryAfter);

    private delegate Task<int> Action(CliContext context, TargetScope scope, Request request, CancellationToken ct);

    private static Command Make(CliContext context, string name, string description, Action action, bool withMessage)
    {
        var lane = new Argument<string>("LANE") { Description = "The service lane." };
        var env = ExecutionOptions.Env();
        var message = new Option<string?>("--message") { Description = "What the 503 page says (default: a short notice).", HelpName = "TEXT" };
        var retryAfter = new Option<int>("--retry-after") { Description = "Seconds clients are told to wait (Retry-After), 1..86400 (default 300).", HelpName = "SECONDS", DefaultValueFactory = _ => 300 };
        var command = new Command(name, description);
        command.Arguments.Add(lane);
        command.Options.Add(env);
        if (withMessage)
        {
            command.Options.Add(message);
            command.Options.Add(retryAfter);
        }

        command.SetAction((result, ct) =>
        {
            var seconds = withMessage ? result.GetValue(retryAfter) : 300;
            if (seconds is < 1 or > 86400)
            {
                throw new UsageException($"--retry-after {seconds} is out of range; give seconds from 1 to 86400");
            }

            var request = new Request(withMessage ? result.GetValue(message) : null, seconds);
            return Execute.WithTargetAsync(result, context, result.GetValue(lane)!, result.GetValue(env)!, $"maintenance {name}",
                scope => action(context, scope, request, ct), ct, locked: name != "status");
        });
        return command;
    }

    private static async Task<int> EnableAsync(CliContext context, TargetScope scope, Request request, CancellationToken ct)
    {
        var (state, target) = (scope.Session.State, scope.Target);
        if (state.FindMaintenance(target.Environment, target.Service) is { } already)
        {
            context.Out.WriteLine($"{target} is already in maintenance since {already.Since} (by {already.Actor}); nothing changed");
            return ExitCodes.Ok;
        }

        var message = request.Message ?? $"{target.Service} is down for maintenance; please try again later.";
        string? snapshot = null;
        string where;
        if (target.Platform == PlatformKind.CloudRun)
        {
            var maintenance = await CloudRun.CloudRunConnection.MaintenanceAsync(context.Env, context.Time, ct);
            (snapshot, var secret) = await maintenance.EnableAsync(target, message, request.RetryAfter, ct);
            where = $"Secret Manager secret {secret} (read it with: gcloud secrets versions access latest --secret {secret.Split('/')[^1]} --project {target.Project})";
        }
        else
        {
            _ = await (await scope.Session.RequireAgentAsync(ct)).ServiceAsync(target.Environment, target.Service, ct)
                ?? throw new CommandFailure($"{target.Service} has not been deployed to {target.Environment}; deploy it first", ExitCodes.Failed);
            where = EnsureLocalToken(scope);
        }

        state.SetMaintenance(new MaintenanceRecord(target.Environment, target.Service, scope.Lane.Name, MatrixPlatforms.Name(target.Platform),
            context.Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture), LocalSession.Actor, message, request.RetryAfter, snapshot));
        string? url;
        try
        {
            url = await ApplyLocalAsync(scope, ct);
        }
        catch
        {
            // The proxy did not take it: the state must not say maintenance is on.
            state.ClearMaintenance(target.Environment, target.Service);
            throw;
        }

        Audit(scope, "maintenance-enable", new Dictionary<string, string?> { ["message"] = message, ["retry_after"] = request.RetryAfter.ToString(CultureInfo.InvariantCulture) });
        context.Out.WriteLine($"{target} is in maintenance: requests get 503 (Retry-After {request.RetryAfter}), /healthz and /readyz still answer");
        context.Out.WriteLine($"bypass token: in {where}; it is never printed");
        context.Out.WriteLine($"bypass cookie ({(int)BypassCookie.Ttl.TotalSeconds} s): send the token as {BypassCookie.TokenHeader} to {url ?? "the service"}{BypassCookie.Path}");
        return ExitCodes.Ok;
    }

    private static async Task<int> DisableAsync(CliContext context, TargetScope scope, Request request, CancellationToken ct)
    {
        var (state, target) = (scope.Session.State, scope.Target);
        var record = state.FindMaintenance(target.Environment, target.Service);
        if (target.Platform == PlatformKind.CloudRun)
        {
            var maintenance = await CloudRun.CloudRunConnection.MaintenanceAsync(context.Env, context.Time, ct);
            if (record is null && !await maintenance.IsEnabledAsync(target, ct))
            {
                context.Out.WriteLine($"{target} is not in maintenance; nothing changed");
                return ExitCodes.Ok;
            }

            await maintenance.DisableAsync(target, record?.PreviousTraffic, ct);
        }
        else if (record is null)
        {
            context.Out.WriteLine($"{target} is not in maintenance; nothing changed");
            return ExitCodes.Ok;
        }

        state.ClearMaintenance(target.Environment, target.Service);
        await ApplyLocalAsync(scope, ct);
        Audit(scope, "maintenance-disable", new Dictionary<string, string?> { ["since"] = record?.Since });
        context.Out.WriteLine($"{target} serves requests again{(record is null ? "" : $" (maintenance since {record.Since})")}");
        return ExitCodes.Ok;
    }

    private static async Task<int> StatusAsync(CliContext context, TargetScope scope, Request request, CancellationToken ct)
    {
        var target = scope.Target;
        var record = scope.Session.State.FindMaintenance(target.Environment, target.Service);
        if (target.Platform == PlatformKind.CloudRun)
        {
            var live = await (await CloudRun.CloudRunConnection.MaintenanceAsync(context.Env, context.Time, ct)).IsEnabledAsync(target, ct);
            if (live != (record is not null))
            {
                context.Out.WriteLine($"{target}: maintenance is {(live ? "on" : "off")} in the service's template, but this folder's state says {(record is null ? "off" : "on")}; run 'maintenance disable' or 'enable' to settle it");
                return ExitCodes.Failed;
            }
        }

        context.Out.WriteLine(record is null
            ? $"{target}: serving (not in maintenance)"
            : $"{target}: in maintenance since {record.Since} by {record.Actor} — \"{record.Message}\" (Retry-After {record.RetryAfter})");
        return ExitCodes.Ok;
    }

    /// <summary>The local token file: created once (0600 in a 0700 folder), kept across enable/disable so cookies stay valid.</summary>
    private static string EnsureLocalToken(TargetScope scope)
    {
        var path = scope.Session.Paths.MaintenanceToken(scope.Target.Environment, scope.Target.Service);
        if (!File.Exists(path))
        {
            var folder = Path.GetDirectoryName(path)!;
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
            using var writer = new StreamWriter(file);
            writer.Write(BypassCookie.NewToken());
        }

        return MatrixSource.Display(path, scope.Session.Context);
    }

    /// <summary>The local agent applies the state to its proxy; returns the service's URL there.</summary>
    private static async Task<string?> ApplyLocalAsync(TargetScope scope, CancellationToken ct)
    {
        if (scope.Target.Platform != PlatformKind.Local)
        {
            return null;
        }

        var agent = await scope.Session.RequireAgentAsync(ct);
        return (await agent.ApplyMaintenanceAsync(scope.Target.Environment, scope.Target.Service, ct)).Url;
    }

    private static void Audit(TargetScope scope, string action, Dictionary<string, string?> inputs)
    {
        inputs["platform"] = MatrixPlatforms.Name(scope.Target.Platform);
        new AuditLog(scope.Session.State).Append(LocalSession.Actor, action, scope.Lane.Name, scope.Target.Environment, inputs, "succeeded", null);
    }
}
