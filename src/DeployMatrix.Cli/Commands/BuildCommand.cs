using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix build LANE [--tag TAG]</c>: a local build stored by content, or a Cloud Build for Cloud Run lanes.</summary>
internal static class BuildCommand
{
    public static Command Create(CliContext context)
    {
        var lane = new Argument<string>("LANE") { Description = "The lane to build." };
        var tag = ExecutionOptions.Tag();
        var allowDirty = new Option<bool>("--allow-dirty") { Description = "Build from a work tree with uncommitted changes (the default tag is SHA-dirty-TREE, TREE naming the tree's content)." };
        var forceRetag = new Option<bool>("--force-retag") { Description = "Re-point a tag already bound to other content at this build's; needs --reason, is recorded, and voids every gate verdict for the tag." };
        var reason = new Option<string?>("--reason") { Description = "Why the tag is re-pointed (recorded).", HelpName = "TEXT" };
        var command = new Command("build", "Build the lane's image and bind TAG to its content. Local platform: run its build command and store the output content-addressed as local://LANE@sha256:… (identical output, same digest). Cloud Run (--platform cloudrun): upload the source to gs://PROJECT_cloudbuild, run its Cloud Build config with _TAG=TAG, stream the build's log while it runs (each line as '  │ LINE', on stderr under --output json; from Cloud Logging when options.logging is CLOUD_LOGGING_ONLY, not at all with NONE) and print the log URL and the pushed digest. A tag names one content per lane: building it again with other content is refused (exit 2, naming both digests) unless --force-retag --reason; on Cloud Run a bound tag is refused before the build, which would re-push it.");
        command.Arguments.Add(lane);
        command.Options.Add(tag);
        command.Options.Add(allowDirty);
        command.Options.Add(forceRetag);
        command.Options.Add(reason);
        command.Options.Add(context.Options.Executor);
        command.SetAction(async (result, ct) =>
        {
            var retagReason = (result.GetValue(forceRetag), result.GetValue(reason)) switch
            {
                (false, null) => null,
                (true, { Length: > 0 } text) => text,
                (true, _) => throw new UsageException("--force-retag needs --reason \"why\"; the reason is recorded"),
                (false, _) => throw new UsageException("--reason goes with --force-retag"),
            };
            var gcloud = ExecutionOptions.UsesGcloud(result, context);
            using var ws = WorkspaceFactory.Open(result, context);
            var built = await new BuildOperation(ws).RunAsync(result.GetValue(lane)!, ExecutionOptions.ValidTag(result.GetValue(tag)), result.GetValue(allowDirty), gcloud, retagReason,
                Documents.Shown(result, context).Out.WriteLine, ct);
            if (context.Options.Json(result))
            {
                Json.Write(context.Out, "build", new { built.Lane, built.Tag, built.Image, built.Digest, built.Facts });
            }

            return 0;
        });
        return command;
    }
}
