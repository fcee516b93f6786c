using DeployMatrix.CloudRun.Api;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Preflight;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun;

/// <summary>
/// The reads a Cloud Run deploy's preflight makes before its first write: the image in Artifact Registry, the
/// caller's permissions on the service and job (IAM's <c>testIamPermissions</c>), and the environment the new
/// revision will get (the service template's, which a deploy keeps).
/// </summary>
public sealed class CloudRunPreflight(RunApi run, ArtifactRegistryApi registry)
{
    /// <summary>Fails, naming the build that makes it, when the image's tag (or digest) is not in Artifact Registry; an image hosted elsewhere is left to Cloud Run's pull.</summary>
    /// <exception cref="PlatformException">The image is missing (exit 1).</exception>
    public async Task RequireImageAsync(ResolvedTarget target, string image, CancellationToken ct)
    {
        if (ArtifactRegistryApi.Parse(image) is not { } name)
        {
            return;
        }

        if (!await registry.ExistsAsync(name, ct))
        {
            var tag = name.Tag ?? name.Digest;
            throw new PlatformException($"image {image} is not in Artifact Registry ({name.Location}-docker.pkg.dev/{name.Project}/{name.Repository} has no {(name.Digest is null ? $"tag {tag}" : tag)} of {name.Package}); build and push it first: deploymatrix build {target.Lane} --tag {tag}");
        }
    }

    /// <summary>The permissions the caller lacks on the service, then on the job (each named <c>PERMISSION on job JOB</c>).</summary>
    public async Task<IReadOnlyList<string>> MissingPermissionsAsync(ResolvedTarget target, IReadOnlyList<string> servicePermissions, string? job, IReadOnlyList<string> jobPermissions, CancellationToken ct)
    {
        var held = await run.TestIamPermissionsAsync(RunApi.ServiceName(target.Project!, target.Region!, target.Service), servicePermissions, ct);
        List<string> missing = [.. servicePermissions.Except(held, StringComparer.Ordinal)];
        if (job is not null && jobPermissions.Count > 0)
        {
            var heldOnJob = await run.TestIamPermissionsAsync(RunApi.JobName(target.Project!, target.Region!, job), jobPermissions, ct);
            missing.AddRange(jobPermissions.Except(heldOnJob, StringComparer.Ordinal).Select(p => $"{p} on job {job}"));
        }

        return missing;
    }

    /// <summary>The template's first container's variables: literal values, and secret references (<c>valueSource.secretKeyRef</c>) by secret and version.</summary>
    public async Task<IReadOnlyDictionary<string, EnvSource>> NewRevisionEnvAsync(ResolvedTarget target, CancellationToken ct)
    {
        var service = await run.RequireServiceAsync(target.Project!, target.Region!, target.Service, ct);
        var env = new Dictionary<string, EnvSource>(StringComparer.Ordinal);
        foreach (var variable in service.Template?.Containers?.FirstOrDefault()?.Env ?? [])
        {
            env[variable.Name] = variable.ValueSource?.SecretKeyRef is { } secret
                ? EnvSource.FromSecret($"{secret.Secret}:{secret.Version ?? "latest"}")
                : EnvSource.Literal(variable.Value ?? "");
        }

        return env;
    }

    /// <summary>The gcloud command that sets a variable on the service's template (a secret from Secret Manager).</summary>
    public static string HowToSet(ResolvedTarget target, Requirement requirement) =>
        $"set it on the service: gcloud run services update {target.Service} --project {target.Project} --region {target.Region} "
        + (requirement.Secret ? $"--update-secrets {requirement.Name}=SECRET:latest" : $"--update-env-vars {requirement.Name}=VALUE");
}
