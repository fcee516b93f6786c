using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Gate;

/// <summary>
/// The target's domain mapping routes to its service with <c>Ready=True</c> and <c>CertificateProvisioned=True</c>
/// (the seed's staging preconditions). Pending fails naming what is pending and the gcloud command that fixes it; the local platform, which has no
/// domain mappings, skips it saying so (a required skip is a no-go, so a gate that needs a domain runs on Cloud Run).
/// </summary>
internal sealed class DomainCheck : IGateCheck
{
    public string CommandOf(CheckSpec spec) => spec is LaneCheckSpec l ? $"deploymatrix status {l.Lane} {l.Args} (domain mapping)" : spec.Type;

    public async Task<string> RunAsync(CheckSpec check, CheckContext context, CancellationToken ct)
    {
        var spec = (LaneCheckSpec)check;
        if (context.Platform is null)
        {
            throw new CheckSkipped("no platform to read the domain mapping on");
        }

        var target = context.TargetOf(spec.Lane, spec.Env, spec.Region);
        if (target.Domain is null)
        {
            throw new CheckSkipped($"lane '{spec.Lane}' names no domain in {spec.Where}");
        }

        var mapping = await context.Platform.GetDomainMappingAsync(target, ct);
        context.Log($"domain {mapping.Domain}: route {mapping.RouteName ?? "(none)"}, Ready={mapping.Ready?.Status ?? "(absent)"}, CertificateProvisioned={mapping.Certificate?.Status ?? "(absent)"}");
        return mapping switch
        {
            { Applies: false } => throw new CheckSkipped(mapping.Pending!),
            { Pending: { } pending } => throw new CheckFailed($"{pending}; {Fix(mapping, target)}"),
            _ => $"{mapping.Domain} routes to {target.Service}, ready with its certificate provisioned",
        };
    }

    /// <summary>
    /// What a person does about a pending mapping, as one gcloud command (Google's <c>gcloud beta run domain-mappings</c>
    /// reference: <c>create --service --domain [--force-override]</c>, <c>describe --domain</c>, both with <c>--region</c>).
    /// </summary>
    private static string Fix(DomainMapping mapping, ResolvedTarget target)
    {
        var where = $"{(target.Project is { } project ? $" --project {project}" : "")}{(target.Region is { } region ? $" --region {region}" : "")}";
        return !mapping.Exists
            ? $"map it: gcloud beta run domain-mappings create --service {target.Service} --domain {mapping.Domain}{where}"
            : mapping.RouteName != mapping.Service
                ? $"map it to {target.Service}: gcloud beta run domain-mappings create --service {target.Service} --domain {mapping.Domain} --force-override{where}"
                : $"set the DNS records that 'gcloud beta run domain-mappings describe --domain {mapping.Domain}{where}' lists (the certificate follows them), then run the gate again";
    }
}
