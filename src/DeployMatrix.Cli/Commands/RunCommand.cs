using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix run LANE -- ARGS</c>: a binary lane's canonical command, with its environment and exit code.</summary>
internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var lane = new Argument<string>("LANE") { Description = "The binary lane to run." };
        var args = new Argument<string[]>("ARGS") { Description = "Arguments after '--' that replace <command> in the lane's canonical command.", Arity = ArgumentArity.ZeroOrMore };
        var env = new Option<string?>("--env", "-e") { Description = "Take environment variables from this environment's target too.", HelpName = "ENV" };
        var freeze = new FreezeOptions();
        var command = new Command("run", "Run a binary lane's canonical command (e.g. cargo run --manifest-path … -- <command>) in the matrix's folder; exits with the command's exit code. Legacy lanes and forbidden commands are refused (78).");
        command.Arguments.Add(lane);
        command.Arguments.Add(args);
        command.Options.Add(env);
        freeze.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            Json.Refuse(result, context, "run passes the lane's command through with its own output and exit code");
            var ticket = freeze.Ticket(result);
            using var ws = WorkspaceFactory.Open(result, context);
            // The command's lines go where ours go, as they come (tests and pipes see them in order).
            return await new RunOperation(ws).RunAsync(result.GetValue(lane)!, result.GetValue(args) ?? [], result.GetValue(env), ticket,
                line => (line.IsError ? context.Err : context.Out).WriteLine(line.Text), ct);
        });
        return command;
    }
}
