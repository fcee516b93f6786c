using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Audit;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Local.Artifacts;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix build LANE [--tag TAG]</c>: run the lane's local build and store the artifact by content.</summary>
internal static class BuildCommand
{
    public static Command Create(CliContext context)
    {
        var lane = new Argument<string>("LANE") { Description = "The lane to build." };
        var tag = ExecutionOptions.Tag();
        var allowDirty = new Option<bool>("--allow-dirty") { Description = "Build from a work tree with uncommitted changes (the default tag gets a -dirty suffix)." };
        var command = new Command("build", "Run the lane's local build command and store its output content-addressed as local://LANE@sha256:…, tagged TAG. Identical output gets the same digest.");
        command.Arguments.Add(lane);
        command.Options.Add(tag);
        command.Options.Add(allowDirty);
        command.SetAction((result, ct) => RunAsync(result, context, result.GetValue(lane)!, Execute.ValidTag(result.GetValue(tag)), result.GetValue(allowDirty), ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CliContext context, string laneName, string? tag, bool allowDirty, CancellationToken ct)
    {
        var matrix = MatrixSource.LoadValid(result, context);
        if (matrix is null)
        {
            return ExitCodes.BadInput;
        }

        tag ??= Execute.DefaultTag(matrix, refuseDirty: !allowDirty)
            ?? throw new UsageException($"{matrix.BaseDirectory} is not a git work tree, so there is no default tag; pass --tag TAG");
        var planned = Planner.Plan(matrix, new PlanRequest { Lane = laneName, Action = PlanAction.Build, Tag = tag, Platform = ExecutionOptions.PlatformOf(result) ?? Core.Model.PlatformKind.Local });
        if (planned.Plan is not { } plan)
        {
            context.Err.WriteLine($"deploymatrix: {planned.Error}");
            return planned.ExitCode;
        }

        LocalSession.RequireLocalBuild(plan);
        using var session = LocalSession.Open(matrix, context);
        var step = (BuildArtifact)plan.Steps[0];
        context.Out.WriteLine($"building {step.Lane} ({string.Join(' ', step.Command)}) …");
        session.State.Journal(LocalSession.Actor, step.Lane, null, "build", null, "started", $"tag {tag}");
        try
        {
            var artifact = await new LocalBuilder(session.Paths, session.Artifacts, matrix.BaseDirectory).BuildAsync(step, TimeSpan.FromMinutes(30), ct);
            var image = ArtifactStore.ImageName(step.Lane, artifact.Digest);
            session.State.Journal(LocalSession.Actor, step.Lane, null, "build", null, "succeeded", $"{image} tagged {tag}");
            new AuditLog(session.State).Append(LocalSession.Actor, "build", step.Lane, null,
                new Dictionary<string, string?> { ["tag"] = tag, ["command"] = string.Join(' ', step.Command), ["image"] = image }, "succeeded", null);
            context.Out.WriteLine($"built {image} ({artifact.Size} bytes), tagged {step.Lane}:{tag}");
            return ExitCodes.Ok;
        }
        catch (PlatformException e)
        {
            session.State.Journal(LocalSession.Actor, step.Lane, null, "build", null, "failed", e.Message);
            new AuditLog(session.State).Append(LocalSession.Actor, "build", step.Lane, null,
                new Dictionary<string, string?> { ["tag"] = tag, ["command"] = string.Join(' ', step.Command) }, $"failed: {e.Message}", null);
            throw new CommandFailure(e.Message, e.ExitCode);
        }
    }
}
