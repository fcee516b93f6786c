using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix migrate LANE --env ENV [--rerun | --tag TAG]</c>: run the migration job with the same image.</summary>
internal static class MigrateCommand
{
    public static Command Create(CliContext context)
    {
        var tag = ExecutionOptions.Tag();
        tag.Description = "Point the job at this tag's image first (default: the service's current image, as --rerun).";
        var rerun = new Option<bool>("--rerun") { Description = "Re-run the migration for the service's current image (the rerun helper); the default when no --tag is given." };
        return ChangeCommand.Create(context, "migrate", "Point the lane's migration job at an image, run it once and wait, then check drift. Exits with the job's status and says where its log is.",
            "The lane whose migration job runs.", [tag, rerun, context.Options.WaitOnCancel], (result, options) =>
            {
                if (result.GetValue(rerun) && result.GetValue(tag) is not null)
                {
                    throw new UsageException("--rerun uses the service's current image; drop --tag, or drop --rerun to migrate a given tag");
                }

                var validTag = ExecutionOptions.ValidTag(result.GetValue(tag));
                return (ws, lane, env, region, reporter, waves, ct) => new MigrateOperation(ws).RunWavesAsync(lane, env, region, validTag, options, reporter, waves, ct);
            });
    }
}
