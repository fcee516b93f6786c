namespace DeployMatrix.CloudRun.Api;

public sealed partial class RunApi
{
    /// <summary>
    /// A domain mapping, or null when there is none: Cloud Run Admin API v1
    /// <c>GET https://REGION-run.googleapis.com/apis/domains.cloudrun.com/v1/namespaces/PROJECT/domainmappings/DOMAIN</c>
    /// (domain mappings exist only in v1, served by the region's endpoint).
    /// </summary>
    public Task<DomainMappingResource?> GetDomainMappingAsync(string project, string region, string domain, CancellationToken ct) =>
        http.GetOrNullAsync<DomainMappingResource>(
            new Uri(endpoints.RunV1In(region), $"apis/domains.cloudrun.com/v1/namespaces/{Uri.EscapeDataString(project)}/domainmappings/{Uri.EscapeDataString(domain)}"), ct);
}
