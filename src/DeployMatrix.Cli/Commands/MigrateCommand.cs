using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core.Planning;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix migrate LANE --env ENV [--rerun | --tag TAG]</c>: run the migration job with the same image.</summary>
internal static class MigrateCommand
{
    public static Command Create(CliContext context)
    {
        var lane = new Argument<string>("LANE") { Description = "The lane whose migration job runs." };
        var env = ExecutionOptions.Env();
        var tag = ExecutionOptions.Tag();
        tag.Description = "Point the job at this tag's image first (default: the service's current image, as --rerun).";
        var rerun = new Option<bool>("--rerun") { Description = "Re-run the migration for the service's current image (the rerun helper); the default when no --tag is given." };
        var command = new Command("migrate", "Point the lane's migration job at an image, run it once and wait, then check drift. Exits with the job's status and says where its log is.");
        command.Arguments.Add(lane);
        command.Options.Add(env);
        command.Options.Add(ExecutionOptions.Executor);
        command.Options.Add(tag);
        command.Options.Add(rerun);
        command.SetAction((result, ct) =>
        {
            if (result.GetValue(rerun) && result.GetValue(tag) is not null)
            {
                throw new UsageException("--rerun uses the service's current image; drop --tag, or drop --rerun to migrate a given tag");
            }

            return Execute.PlanAndRunAsync(result, context, _ => new PlanRequest
            {
                Lane = result.GetValue(lane)!,
                Environment = result.GetValue(env),
                Tag = Execute.ValidTag(result.GetValue(tag)),
                Action = PlanAction.Migrate,
            }, ct);
        });
        return command;
    }
}
