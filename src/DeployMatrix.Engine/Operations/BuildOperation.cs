using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Releases;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>What a build made: the image, the tag it carries, its content digest (null where the builder cannot tell), and the facts the audit record keeps.</summary>
public sealed record BuildResult(string Lane, string Tag, string Image, string? Digest, IReadOnlyDictionary<string, string?> Facts);

/// <summary>
/// <c>build</c>: the lane's image for a platform — a local build stored by content, or a Cloud Build
/// (through the APIs, or through gcloud as the seed did) — and the tag bound to what it made. A tag
/// names one content per lane and platform (<see cref="TagRules"/>). Journaled and audited either way.
/// </summary>
public sealed class BuildOperation(Workspace ws)
{
    /// <param name="tag">The tag; null: the short SHA of HEAD (a dirty tree is refused unless <paramref name="allowDirty"/>, which tags SHA-dirty-TREE).</param>
    /// <param name="retagReason">With <c>--force-retag</c>: why a bound tag may name other content (recorded; voids the tag's gate verdicts).</param>
    /// <param name="say">Progress for people, a line at a time.</param>
    /// <exception cref="OperationException">Bad input (2), a tag bound to other content (2, naming both digests), or the build failed (its exit code; the message names its log).</exception>
    public async Task<BuildResult> RunAsync(string lane, string? tag, bool allowDirty, bool gcloud, string? retagReason, Action<string> say, CancellationToken ct)
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

        var tags = new TagRules(ws, plan.Platform!.Value, plan.Lane, tag);
        if (retagReason is not null)
        {
            inputs["retag_reason"] = retagReason;
        }
        else
        {
            tags.RefuseRebuildOnRegistry(plan.Steps[0] is BuildImage { Image: { } pushed } ? pushed : null);
        }

        var log = ws.Recorder.Begin("build", plan.Lane, null, $"tag {tag}");
        var description = step.Describe();
        log.Step(description, "started", null);
        BuildOutcome outcome;
        try
        {
            outcome = gcloud ? await GcloudAsync(plan, say, ct) : await (await ws.Platforms.BuilderAsync(plan.Platform!.Value, ct)).BuildAsync(step, say, ct);
        }
        catch (PlatformException e)
        {
            log.Step(description, "failed", e.Message);
            log.End("failed", inputs, $"failed: {e.Message}");
            throw;
        }

        foreach (var (key, value) in outcome.Facts)
        {
            inputs[key] = value;
        }

        inputs["image"] = outcome.Image;
        inputs["digest"] = outcome.Digest;
        log.Step(description, "succeeded", outcome.Digest is null ? outcome.Image : $"{outcome.Image} ({outcome.Digest})");
        try
        {
            var bound = tags.Bind(outcome, retagReason, inputs);
            log.Step($"bind tag {tag}", "succeeded", bound);
            say(bound);
        }
        catch (OperationException e)
        {
            log.Step($"bind tag {tag}", "failed", e.Message);
            log.End("failed", inputs, $"refused: {e.Message}");
            throw;
        }

        log.End("succeeded", inputs, "succeeded");
        return new BuildResult(plan.Lane, tag, outcome.Image, outcome.Digest, outcome.Facts);
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
