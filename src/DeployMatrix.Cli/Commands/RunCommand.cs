using System.CommandLine;
using System.Diagnostics;
using DeployMatrix.Cli.Common;
using DeployMatrix.Core;
using DeployMatrix.Core.Planning;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix run LANE -- ARGS</c>: a binary lane's canonical command, with its environment and exit code.</summary>
internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var lane = new Argument<string>("LANE") { Description = "The binary lane to run." };
        var args = new Argument<string[]>("ARGS") { Description = "Arguments after '--' that replace <command> in the lane's canonical command.", Arity = ArgumentArity.ZeroOrMore };
        var env = new Option<string?>("--env", "-e") { Description = "Take environment variables from this environment's target too.", HelpName = "ENV" };
        var command = new Command("run", "Run a binary lane's canonical command (e.g. cargo run --manifest-path … -- <command>) in the matrix's folder; exits with the command's exit code. Legacy lanes and forbidden commands are refused (78).");
        command.Arguments.Add(lane);
        command.Arguments.Add(args);
        command.Options.Add(env);
        var freeze = new FreezeOptions();
        freeze.AddTo(command);
        command.SetAction((result, ct) => RunAsync(result, context, result.GetValue(lane)!, result.GetValue(args) ?? [], result.GetValue(env), freeze.Ticket(result), ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CliContext context, string laneName, string[] args, string? env, string? changeTicket, CancellationToken ct)
    {
        var matrix = MatrixSource.LoadValid(result, context);
        if (matrix is null)
        {
            return ExitCodes.BadInput;
        }

        var planned = Planner.Plan(matrix, new PlanRequest { Lane = laneName, Environment = env, Action = PlanAction.Run, Args = args, Unfreeze = changeTicket is not null });
        if (planned.Plan is not { } plan)
        {
            context.Err.WriteLine($"deploymatrix: {planned.Error}{(planned.ExitCode == ExitCodes.FrozenLegacy ? " (to proceed anyway: --unfreeze --change-ticket ID)" : "")}");
            return planned.ExitCode;
        }

        if (changeTicket is not null)
        {
            using var session = Local.LocalSession.Open(matrix, context);
            FreezeOptions.Audit(session, matrix.FindLane(laneName)!, env, changeTicket, $"run {string.Join(' ', ((RunBinary)plan.Steps[0]).Command)}");
        }

        var step = (RunBinary)plan.Steps[0];
        var start = new ProcessStartInfo(step.Command[0])
        {
            WorkingDirectory = matrix.BaseDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in step.Command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in step.Env)
        {
            start.Environment[key] = value;
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            context.Err.WriteLine($"deploymatrix: cannot run '{step.Command[0]}' for lane {laneName}: {e.Message}");
            return ExitCodes.Failed;
        }

        // Copy through our writers so callers (and tests) see the command's output where ours goes.
        await Task.WhenAll(
            Copy(process.StandardOutput, context.Out, ct),
            Copy(process.StandardError, context.Err, ct),
            process.WaitForExitAsync(ct));
        return process.ExitCode;
    }

    private static async Task Copy(StreamReader from, TextWriter to, CancellationToken ct)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await from.ReadAsync(buffer, ct)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, read), ct);
            await to.FlushAsync(ct);
        }
    }
}
