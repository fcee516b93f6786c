using System.Text;
using System.Text.Json;
using DeployMatrix.CloudRun.Api;
using DeployMatrix.Core.Maintenance;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Maintenance;

/// <summary>What a service looked like before maintenance, to put back on disable: its template's image and tag, and the split.</summary>
public sealed record ServiceSnapshot(string? Image, IReadOnlyList<TrafficTarget> Traffic)
{
    public string? Tag { get; init; }
}

/// <summary>
/// Maintenance mode on Cloud Run, where no proxy of ours stands in front: the service is told through
/// its environment (<see cref="Variables"/>) and answers 503 itself, keeping health probes and holders of
/// a valid bypass cookie (<see cref="BypassCookie"/>) let through. The bypass token lives in a Secret
/// Manager secret of DeployMatrix's own (labelled so), a new version on every enable, which the revision
/// reads as an environment variable; it is never read back.
/// Enabling serves a maintenance revision of the content that served most traffic (by digest, as the
/// revision reports it), with all traffic; disabling restores the template's image and the split from
/// before, revisions named. An enable whose revision fails restores both at once.
/// </summary>
public sealed class CloudRunMaintenance(RunApi run, SecretManagerApi secrets) : IMaintenanceMode
{
    public const string Flag = "DEPLOYMATRIX_MAINTENANCE";
    public const string MessageVariable = "DEPLOYMATRIX_MAINTENANCE_MESSAGE";
    public const string RetryAfterVariable = "DEPLOYMATRIX_MAINTENANCE_RETRY_AFTER";
    public const string ScopeVariable = "DEPLOYMATRIX_MAINTENANCE_SCOPE";
    public const string TokenVariable = "DEPLOYMATRIX_MAINTENANCE_TOKEN";

    public static readonly string[] Variables = [Flag, MessageVariable, RetryAfterVariable, ScopeVariable, TokenVariable];

    public static string SecretId(string service) => $"{service}-maintenance-token";

    /// <returns>The snapshot to restore on disable (JSON), and where the token is: the secret, and how to read it.</returns>
    public async Task<MaintenanceStarted> EnableAsync(ResolvedTarget target, string message, int retryAfterSeconds, CancellationToken cancellationToken)
    {
        var service = await run.RequireServiceAsync(target.Project!, target.Region!, target.Service, cancellationToken);
        var (secret, version) = await EnsureSecretAsync(target, service, cancellationToken);
        var containers = Containers(service);
        // The split as revisions by name: a LATEST entry put back later would route to whatever is latest then.
        var pins = CloudRunPlatform.Serving(service).Select(t => new TrafficTarget { Type = TrafficTarget.ToRevision, Revision = t.Revision, Percent = t.Percent }).ToList();
        var before = new ServiceSnapshot(containers[0].Image, pins) { Tag = service.Template?.Annotations?.GetValueOrDefault(CloudRunPlatform.TagAnnotation) };
        var snapshot = JsonSerializer.Serialize(before, GoogleHttp.Json);
        var serving = await ServingRevisionAsync(service, cancellationToken);
        containers[0] = containers[0] with
        {
            Image = serving?.Containers?.FirstOrDefault()?.Image ?? containers[0].Image,
            Env =
            [
                .. Without(containers[0].Env),
                new EnvVar { Name = Flag, Value = "1" },
                new EnvVar { Name = MessageVariable, Value = message },
                new EnvVar { Name = RetryAfterVariable, Value = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                new EnvVar { Name = ScopeVariable, Value = $"{target.Environment}/{target.Service}" },
                new EnvVar { Name = TokenVariable, ValueSource = new EnvVarSource(new SecretKeySelector(secret, version)) },
            ],
        };
        // The maintenance revision serves the image that served, so it carries that revision's tag.
        var tag = serving is null ? null : CloudRunPlatform.TagOf(serving);
        try
        {
            await run.UpdateServiceAsync(service with
            {
                Template = service.Template! with { Revision = null, Containers = containers, Annotations = CloudRunPlatform.WithTag(service.Template.Annotations, tag) },
                // Every traffic tag stays: the team's and the releases' URLs outlive maintenance.
                Traffic = CloudRunPlatform.KeepingTags([new TrafficTarget { Type = TrafficTarget.ToLatest, Percent = 100 }], service.Traffic),
            }, cancellationToken);
        }
        catch (GoogleApiException e) when (e.Status == System.Net.HttpStatusCode.Conflict)
        {
            // Someone changed the service since it was read: nothing was applied, and what they did stays.
            throw new PlatformException($"maintenance was not enabled: {target.Service} changed while it was being enabled, and Cloud Run refused the stale update ({e.Message}); nothing was changed — look at the service, then enable again");
        }
        catch (PlatformException e)
        {
            if (await run.FailedRevisionAsync(service, CancellationToken.None) is not { } failed)
            {
                throw; // not applied: nothing to put back
            }

            // Template and traffic changed in one request whose revision did not become ready: LATEST would
            // now route to the newest ready revision — in production, possibly a no-traffic canary. Put the
            // template and the split back before saying so.
            var why = CloudRunPlatform.FailedCondition(failed) ?? e.Message;
            try
            {
                await RestoreAsync(target, before, CancellationToken.None);
            }
            catch (PlatformException restore)
            {
                var split = string.Join(",", pins.Select(p => $"{p.Revision}={p.Percent}"));
                throw new PlatformException($"maintenance was not enabled (its revision did not become ready: {why}), and putting {target.Service} back failed too ({restore.Message}): it may follow LATEST with maintenance's variables — set its traffic back with: deploymatrix traffic {target.Lane} --env {target.Environment} --to {split}");
            }

            throw new PlatformException($"maintenance was not enabled, and {target.Service}'s template and traffic are as they were: {why}");
        }

        return new MaintenanceStarted(snapshot, $"Secret Manager secret {secret} (read it with: gcloud secrets versions access latest --secret {secret.Split('/')[^1]} --project {target.Project})");
    }

    public Task DisableAsync(ResolvedTarget target, string? snapshot, CancellationToken cancellationToken) =>
        RestoreAsync(target, snapshot is null ? null : JsonSerializer.Deserialize<ServiceSnapshot>(snapshot, GoogleHttp.Json), cancellationToken);

    /// <summary>The template's image and tag and the split from <paramref name="before"/>, without maintenance's variables.</summary>
    private async Task RestoreAsync(ResolvedTarget target, ServiceSnapshot? before, CancellationToken cancellationToken)
    {
        var service = await run.RequireServiceAsync(target.Project!, target.Region!, target.Service, cancellationToken);
        await run.ChangeServiceAsync(service.Name!, current =>
        {
            var containers = Containers(current);
            containers[0] = containers[0] with { Image = before?.Image ?? containers[0].Image, Env = Without(containers[0].Env) };
            var annotations = before is null ? current.Template!.Annotations : CloudRunPlatform.WithTag(current.Template!.Annotations, before.Tag);
            return current with
            {
                Template = current.Template! with { Revision = null, Containers = containers, Annotations = annotations },
                Traffic = CloudRunPlatform.KeepingTags(before?.Traffic is { Count: > 0 } traffic ? traffic : [new TrafficTarget { Type = TrafficTarget.ToLatest, Percent = 100 }], current.Traffic),
            };
        }, cancellationToken);
    }

    /// <summary>The service itself answers 503 from its environment: nothing of ours to apply.</summary>
    public Task<string?> ApplyAsync(ResolvedTarget target, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    /// <summary>Whether the service's template has maintenance on (what new revisions will do).</summary>
    public async Task<bool?> IsEnabledAsync(ResolvedTarget target, CancellationToken cancellationToken)
    {
        var service = await run.RequireServiceAsync(target.Project!, target.Region!, target.Service, cancellationToken);
        return Containers(service)[0].Env?.Any(e => e.Name == Flag && e.Value == "1") == true;
    }

    /// <summary>
    /// The token's secret with a new version for this maintenance, readable by the identity the service
    /// runs as. The secret is DeployMatrix's own — created here with the label <see cref="ManagedByLabel"/>
    /// (Secret Manager labels) — and an existing secret of that name without the label is someone
    /// else's: it is refused, never trusted (whoever made it may read every version through its IAM
    /// policy). Every enable adds a new random token as a new version and the revision reads exactly that
    /// version, so cookies from an earlier maintenance, or a leaked token, stop working. Cloud Run resolves
    /// a secret reference as the revision's service account when it creates the revision, and the
    /// revision fails without roles/secretmanager.secretAccessor on it.
    /// </summary>
    /// <returns>The secret's name and the version the revision reads.</returns>
    /// <exception cref="PlatformException">The secret is not DeployMatrix's, or the grant cannot be made with these credentials (the message is the exact command for someone who can).</exception>
    private async Task<(string Secret, string Version)> EnsureSecretAsync(ResolvedTarget target, RunService service, CancellationToken cancellationToken)
    {
        var name = SecretManagerApi.SecretName(target.Project!, SecretId(target.Service));
        var account = service.Template?.ServiceAccount
            ?? (await run.ListRevisionsAsync(service.Name!, cancellationToken)).LastOrDefault(r => r.Name == service.LatestReadyRevision)?.ServiceAccount;
        var grant = $"gcloud secrets add-iam-policy-binding {SecretId(target.Service)} --project {target.Project} --role {SecretAccessor} --member serviceAccount:{account ?? "SERVICE_ACCOUNT"}";
        if (account is null)
        {
            throw new PlatformException($"cannot tell which service account {target.Service} runs as, so maintenance cannot let it read its token; grant it, then enable again: {grant}");
        }

        if (await secrets.GetSecretAsync(name, cancellationToken) is { } existing)
        {
            if (existing.Labels?.GetValueOrDefault(ManagedByLabel) != ManagedBy)
            {
                throw new PlatformException($"Secret Manager secret {name} exists but DeployMatrix did not create it (it has no label {ManagedByLabel}={ManagedBy}), so it is not trusted with the maintenance token; find out whose it is, delete it (gcloud secrets delete {SecretId(target.Service)} --project {target.Project}) if it is not in use, then enable again");
            }
        }
        else
        {
            await secrets.CreateSecretAsync(target.Project!, SecretId(target.Service), new Dictionary<string, string> { [ManagedByLabel] = ManagedBy }, cancellationToken);
        }

        var version = await secrets.AddVersionAsync(name, Encoding.UTF8.GetBytes(BypassCookie.NewToken()), cancellationToken);
        try
        {
            await secrets.GrantAsync(name, SecretAccessor, $"serviceAccount:{account}", cancellationToken);
        }
        catch (GoogleApiException e) when (e.Status is System.Net.HttpStatusCode.Forbidden)
        {
            throw new PlatformException($"{target.Service} runs as {account}, which must read the maintenance token, and these credentials cannot grant that (secretmanager.secrets.setIamPolicy); ask someone who can to run: {grant}");
        }

        return (name, version.Name?.Split('/')[^1] ?? "latest");
    }

    /// <summary>The Secret Manager label (key and value) that marks a secret as created by DeployMatrix.</summary>
    public const string ManagedByLabel = "managed-by";

    /// <inheritdoc cref="ManagedByLabel"/>
    public const string ManagedBy = "deploymatrix";

    /// <summary>The role a revision's service account needs to read a secret it references (Secret Manager's IAM roles).</summary>
    public const string SecretAccessor = "roles/secretmanager.secretAccessor";

    /// <summary>The revision serving the most traffic now: what users see, so what the maintenance revision runs.</summary>
    private async Task<RunRevision?> ServingRevisionAsync(RunService service, CancellationToken cancellationToken)
    {
        var serving = CloudRunPlatform.Serving(service).OrderByDescending(t => t.Percent).FirstOrDefault()?.Revision;
        var revisions = await run.ListRevisionsAsync(service.Name!, cancellationToken);
        return revisions.FirstOrDefault(r => r.Name?.Split('/')[^1] == serving);
    }

    private static List<RunContainer> Containers(RunService service) =>
        (service.Template?.Containers is { Count: > 0 } containers ? containers : throw new PlatformException($"{service.Name} has no container in its template")).ToList();

    private static IReadOnlyList<EnvVar> Without(IReadOnlyList<EnvVar>? env) => [.. (env ?? []).Where(e => !Variables.Contains(e.Name))];
}
