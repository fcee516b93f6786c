using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix migrate LANE --env ENV [--rerun | --tag TAG]</c>: run the migration job with the same image.</summary>
internal static class MigrateCommand
{
    public static Command Create(CliContext context)
    {
        var target = new TargetArguments("The lane whose migration job runs.");
        var tag = ExecutionOptions.Tag();
        tag.Description = "Point the job at this tag's image first (default: the service's current image, as --rerun).";
        var rerun = new Option<bool>("--rerun") { Description = "Re-run the migration for the service's current image (the rerun helper); the default when no --tag is given." };
        var command = new Command("migrate", "Point the lane's migration job at an image, run it once and wait, then check drift. Exits with the job's status and says where its log is.");
        target.AddTo(command);
        command.Options.Add(context.Options.Executor);
        command.Options.Add(tag);
        command.Options.Add(rerun);
        command.SetAction(async (result, ct) =>
        {
            if (result.GetValue(rerun) && result.GetValue(tag) is not null)
            {
                throw new UsageException("--rerun uses the service's current image; drop --tag, or drop --rerun to migrate a given tag");
            }

            var (lane, env) = target.Read(result);
            using var ws = WorkspaceFactory.Open(result, context);
            var outcome = await new MigrateOperation(ws).RunAsync(lane, env, ExecutionOptions.ValidTag(result.GetValue(tag)), ExecutionOptions.Change(result, context), new ConsoleReporter(context.Out), ct);
            return PlanOutput.Print(outcome, context);
        });
        return command;
    }
}
