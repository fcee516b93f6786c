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
        var allowDirty = new Option<bool>("--allow-dirty") { Description = "Build from a work tree with uncommitted changes (the default tag gets a -dirty suffix)." };
        var command = new Command("build", "Build the lane's image. Local platform: run its build command and store the output content-addressed as local://LANE@sha256:…, tagged TAG (identical output, same digest). Cloud Run (--platform cloudrun): upload the source to gs://PROJECT_cloudbuild, run its Cloud Build config with _TAG=TAG, follow it to the end and print the log URL.");
        command.Arguments.Add(lane);
        command.Options.Add(tag);
        command.Options.Add(allowDirty);
        command.Options.Add(context.Options.Executor);
        command.SetAction(async (result, ct) =>
        {
            var gcloud = ExecutionOptions.UsesGcloud(result, context);
            using var ws = WorkspaceFactory.Open(result, context);
            await new BuildOperation(ws).RunAsync(result.GetValue(lane)!, ExecutionOptions.ValidTag(result.GetValue(tag)), result.GetValue(allowDirty), gcloud, context.Out.WriteLine, ct);
            return 0;
        });
        return command;
    }
}
