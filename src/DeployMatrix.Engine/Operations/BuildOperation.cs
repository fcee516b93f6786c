using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>What a build made: the image, the tag it carries, and the facts the audit record keeps.</summary>
public sealed record BuildResult(string Lane, string Tag, string Image, IReadOnlyDictionary<string, string?> Facts);

/// <summary>
/// <c>build</c>: the lane's image for a platform — a local build stored by content and tagged, or a
/// Cloud Build (through the APIs, or through gcloud as the seed did). Journaled and audited either way.
/// </summary>
public sealed class BuildOperation(Workspace ws)
{
    /// <param name="tag">The tag; null: the short SHA of HEAD (a dirty tree is refused unless <paramref name="allowDirty"/>, which tags SHA-dirty).</param>
    /// <param name="say">Progress for people, a line at a time.</param>
    /// <exception cref="OperationException">Bad input (2), or the build failed (its exit code; the message names its log).</exception>
    public async Task<BuildResult> RunAsync(string lane, string? tag, bool allowDirty, bool gcloud, Action<string> say, CancellationToken ct)
    {
        tag ??= await ws.Git.DefaultTagAsync(ws.Matrix.BaseDirectory, refuseDirty: !allowDirty, ct)
            ?? throw new OperationException($"{ws.Matrix.BaseDirectory} is not a git work tree, so there is no default tag; pass --tag TAG", ExitCodes.BadInput);
        var planned = Planner.Plan(ws.Matrix, new PlanRequest { Lane = lane, Action = PlanAction.Build, Tag = tag, Platform = ws.PlatformOverride ?? PlatformKind.Local });
        var plan = planned.Plan ?? throw ReleaseRules.Refused(planned);
        var step = plan.Steps[0];
        if (gcloud && step is not BuildImage)
        {
            throw new OperationException("--executor gcloud builds for Cloud Run; add --platform cloudrun", ExitCodes.BadInput);
        }

        var inputs = new Dictionary<string, string?>(StringComparer.Ordinal) { ["tag"] = tag };
        switch (step)
        {
            case BuildImage cloud:
                inputs["config"] = cloud.Config;
                if (gcloud)
                {
                    inputs["executor"] = "gcloud";
                }
                else
                {
                    inputs["project"] = cloud.Project;
                }

                break;
            case BuildArtifact local:
                inputs["command"] = string.Join(' ', local.Command);
                break;
        }

        var log = ws.Recorder.Begin("build", plan.Lane, null, $"tag {tag}");
        var description = step.Describe();
        log.Step(description, "started", null);
        try
        {
            var outcome = gcloud ? await GcloudAsync(plan, say, ct) : await (await ws.Platforms.BuilderAsync(plan.Platform!.Value, ct)).BuildAsync(step, say, ct);
            foreach (var (key, value) in outcome.Facts)
            {
                inputs[key] = value;
            }

            inputs["image"] = outcome.Image;
            log.Step(description, "succeeded", $"{outcome.Image} tagged {tag}");
            log.End("succeeded", inputs, "succeeded");
            return new BuildResult(plan.Lane, tag, outcome.Image, outcome.Facts);
        }
        catch (PlatformException e)
        {
            log.Step(description, "failed", e.Message);
            log.End("failed", inputs, $"failed: {e.Message}");
            throw;
        }
    }

    /// <summary>The seed's <c>gcloud builds submit</c> line, run by the same runner the gcloud executor runs plans with.</summary>
    private async Task<BuildOutcome> GcloudAsync(Plan plan, Action<string> say, CancellationToken ct)
    {
        var step = (BuildImage)plan.Steps[0];
        // Cloud Build's log streams through gcloud while the build runs.
        var runner = (ws.Gcloud ?? throw new OperationException("this build has no gcloud executor", ExitCodes.BadInput))(line => say($"  {line}"));
        say($"building {step.Lane} with gcloud builds submit …");
        var ran = await runner.RunAsync(step, new StepContext(plan), ct);
        say($"ran {ran}");
        return new BuildOutcome(step.Image ?? step.Lane, new Dictionary<string, string?>());
    }
}
