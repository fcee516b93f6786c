using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Waves;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Cli.Commands;

/// <summary>
/// The set-up the commands that change a platform share (deploy, migrate, traffic, rollback): LANE,
/// --env and --region (every region of the environment, as waves, unless one is named), --executor, every argument read and checked before anything opens (bad input leaves no state
/// behind), then one workspace, one engine operation, its outcome printed (under --output json: the steps on stderr, the result document on stdout).
/// </summary>
internal static class ChangeCommand
{
    /// <summary>The engine operation a command runs once its arguments are read.</summary>
    /// <param name="region">One region of the environment (<c>--region</c>); null: every region, as waves.</param>
    public delegate Task<WavesResult<ExecutionResult>> Operation(Workspace ws, string lane, string env, string? region, IExecutionReporter reporter, IWaveReporter waves, CancellationToken ct);

    /// <param name="options">The command's own options, after LANE, --env and --executor.</param>
    /// <param name="read">Reads and checks those options (throws <see cref="UsageException"/>) and returns the operation to run.</param>
    public static Command Create(CliContext context, string name, string description, string laneDescription, IEnumerable<Option> options, Func<ParseResult, ChangeOptions, Operation> read)
    {
        var target = new TargetArguments(laneDescription);
        var command = new Command(name, description);
        target.AddTo(command);
        command.Options.Add(context.Options.Executor);
        command.Options.Add(context.Options.Yes);
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, ct) =>
        {
            var (lane, env) = target.Read(result);
            var operation = read(result, ExecutionOptions.Change(result, context));
            using var ws = WorkspaceFactory.Open(result, context);
            Confirmation.Ask(result, context, ws.Matrix, env, $"{name} {lane}");
            var shown = Documents.Shown(result, context);
            var waves = await operation(ws, lane, env, target.Region(result), StepReporters.For(result, shown), new ConsoleWaveReporter(shown.Out), ct);
            var exit = WaveOutput.Print(waves, shown);
            return context.Options.Json(result) ? Documents.Result(name, lane, env, waves, context) : exit;
        });
        return command;
    }
}
