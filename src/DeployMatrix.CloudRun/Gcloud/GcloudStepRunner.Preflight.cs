using System.Text.Json;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Preflight;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Gcloud;

/// <summary>A deploy's preflight steps with gcloud: the reads <c>plan --format shell</c> prints, judged as the API executor judges them.</summary>
public sealed partial class GcloudStepRunner
{
    private async Task<string> PreflightAsync(Step step, StepContext context, CancellationToken ct)
    {
        switch (step)
        {
            case CheckImage image when GcloudCommands.For(image).Count == 0:
                return $"{image.Image} is not in Artifact Registry; Cloud Run checks it when it pulls";

            case CheckImage image:
            {
                var result = (await RunAllAsync(step, context, ct, allowFailure: true))[0];
                return result.ExitCode == 0 && result.Stdout.Trim() is { Length: > 0 } digest
                    ? $"{Commands(step, context)} → {digest}"
                    : throw new PlatformException($"image {image.Image} is not in Artifact Registry ({Commands(step, context)} exited {result.ExitCode}: {result.LastError}); build and push it first: deploymatrix build {image.Target.Lane} --tag {context.Plan.Tag}");
            }

            case CheckService service:
            {
                var result = (await RunAllAsync(step, context, ct, allowFailure: true))[0];
                return result.ExitCode == 0
                    ? $"{Commands(step, context)} → {result.Stdout.Trim()}"
                    : throw new PlatformException($"Cloud Run service {service.Target.Service} does not exist in {service.Target.Project}/{service.Target.Region} ({result.LastError}); create it once (gcloud run deploy) before DeployMatrix manages its revisions");
            }

            case CheckPermissions:
                // IAM's testIamPermissions has no gcloud command; each gcloud call below is refused on its own instead.
                return "not tested: gcloud has no command for testIamPermissions (the API executor tests them first); each gcloud call is refused on its own";

            case CheckRequirements requires:
            {
                using var document = JsonDocument.Parse((await RunAllAsync(step, context, ct))[0].Stdout);
                var env = TemplateEnv(document.RootElement);
                var unmet = RequirementCheck.Unmet(requires.Requires, env, secretsByReference: true, r => CloudRunPreflight.HowToSet(context.Target, r));
                return unmet.Count == 0
                    ? $"{Commands(step, context)} → every required variable is set"
                    : throw new PlatformException(string.Join("; ", unmet));
            }

            default:
                throw new PlatformException($"the gcloud executor cannot run '{step.KindName}' steps", 2);
        }
    }

    /// <summary>The service's (v1, as gcloud prints it) <c>spec.template.spec.containers[0].env</c>: values, and <c>valueFrom.secretKeyRef</c> references.</summary>
    private static Dictionary<string, EnvSource> TemplateEnv(JsonElement service)
    {
        var env = new Dictionary<string, EnvSource>(StringComparer.Ordinal);
        if (!service.TryGetProperty("spec", out var spec) || !spec.TryGetProperty("template", out var template) || !template.TryGetProperty("spec", out var templateSpec)
            || !templateSpec.TryGetProperty("containers", out var containers) || containers.GetArrayLength() == 0 || !containers[0].TryGetProperty("env", out var variables))
        {
            return env;
        }

        foreach (var variable in variables.EnumerateArray())
        {
            var name = variable.GetProperty("name").GetString()!;
            env[name] = variable.TryGetProperty("valueFrom", out var from) && from.TryGetProperty("secretKeyRef", out var secret)
                ? EnvSource.FromSecret($"{secret.GetProperty("name").GetString()}:{(secret.TryGetProperty("key", out var key) ? key.GetString() : "latest")}")
                : EnvSource.Literal(variable.TryGetProperty("value", out var value) ? value.GetString() ?? "" : "");
        }

        return env;
    }
}
