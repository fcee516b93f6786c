using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Engine.Execution;
using DeployMatrix.CloudRun.Gcloud;
using DeployMatrix.Core;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Audit;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Local.Artifacts;

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
        command.Options.Add(ExecutionOptions.Executor);
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

        using var session = LocalSession.Open(matrix, context);
        var journal = new BuildJournal(session, plan.Lane, tag);
        return plan.Steps[0] switch
        {
            BuildImage cloud when ExecutionOptions.UsesGcloud(result, context) => await journal.RunAsync(cloud.Describe(), new Dictionary<string, string?> { ["config"] = cloud.Config, ["executor"] = "gcloud" }, async () =>
            {
                // The same runner the gcloud executor uses for plans, so a build runs what 'plan --format shell' prints.
                var runner = new GcloudStepRunner(new GcloudProcess(matrix.BaseDirectory, context.Env).RunAsync);
                context.Out.WriteLine($"building {cloud.Lane} with gcloud builds submit …");
                context.Out.WriteLine($"ran {await runner.RunAsync(cloud, new StepContext(plan), ct)}");
                return new Dictionary<string, string?> { ["image"] = cloud.Image };
            }),
            BuildImage cloud => await journal.RunAsync(cloud.Describe(), new Dictionary<string, string?> { ["config"] = cloud.Config, ["project"] = cloud.Project }, async () =>
            {
                var builder = await CloudRun.CloudRunConnection.BuilderAsync(context.Env, context.Time, ct);
                context.Out.WriteLine($"building {cloud.Lane} with Cloud Build ({cloud.Config}, {string.Join(',', cloud.Substitutions.Select(p => $"{p.Key}={p.Value}"))}) in {cloud.Project} …");
                var report = await builder.BuildAsync(cloud, matrix.BaseDirectory, line => context.Out.WriteLine($"  {line}"), ct);
                foreach (var image in report.Images)
                {
                    context.Out.WriteLine($"pushed {image.Name}{(image.Digest is null ? "" : $"@{image.Digest}")}");
                }

                context.Out.WriteLine($"build {report.Id} succeeded; logs: {report.LogUrl}");
                return new Dictionary<string, string?> { ["build"] = report.Id, ["log_url"] = report.LogUrl, ["image"] = cloud.Image, ["source"] = report.Source };
            }),
            BuildArtifact local => await journal.RunAsync(local.Describe(), new Dictionary<string, string?> { ["command"] = string.Join(' ', local.Command) }, async () =>
            {
                context.Out.WriteLine($"building {local.Lane} ({string.Join(' ', local.Command)}) …");
                var artifact = await new LocalBuilder(session.Paths, session.Artifacts, matrix.BaseDirectory).BuildAsync(local, TimeSpan.FromMinutes(30), ct);
                var image = ArtifactStore.ImageName(local.Lane, artifact.Digest);
                context.Out.WriteLine($"built {image} ({artifact.Size} bytes), tagged {local.Lane}:{tag}");
                return new Dictionary<string, string?> { ["image"] = image };
            }),
            var other => throw new InvalidOperationException($"a build plan starts with a build step, not {other.KindName}"),
        };
    }

    /// <summary>The journal and audit records around one build, whichever platform runs it.</summary>
    private sealed class BuildJournal(LocalSession session, string lane, string tag)
    {
        public async Task<int> RunAsync(string description, Dictionary<string, string?> inputs, Func<Task<Dictionary<string, string?>>> build)
        {
            inputs["tag"] = tag;
            session.State.Journal(LocalSession.Actor, lane, null, "build", description, "started", $"tag {tag}");
            try
            {
                var facts = await build();
                foreach (var (key, value) in facts)
                {
                    inputs[key] = value;
                }

                session.State.Journal(LocalSession.Actor, lane, null, "build", description, "succeeded", $"{facts.GetValueOrDefault("image")} tagged {tag}");
                new AuditLog(session.State).Append(LocalSession.Actor, "build", lane, null, inputs, "succeeded", null);
                return ExitCodes.Ok;
            }
            catch (PlatformException e)
            {
                session.State.Journal(LocalSession.Actor, lane, null, "build", description, "failed", e.Message);
                new AuditLog(session.State).Append(LocalSession.Actor, "build", lane, null, inputs, $"failed: {e.Message}", null);
                throw new CommandFailure(e.Message, e.ExitCode);
            }
        }
    }
}
