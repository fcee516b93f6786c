using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Engine.Platform;

/// <summary>
/// Where a check reaches a target's service: its domain when the target names one and the mapping is ready,
/// else the service's URL (the seed's staging runbook: smoke uses the domain once its mapping is ready, the
/// service URL otherwise, and says so).
/// </summary>
/// <param name="Base">Where requests go (scheme and host; paths are resolved against it).</param>
/// <param name="Service">The service's own URL: the audience an invoker's ID token is made for.</param>
/// <param name="Mapping">The domain mapping as read, or null when the target names no domain.</param>
public sealed record ServiceAddress(Uri Base, Uri Service, DomainMapping? Mapping)
{
    /// <summary>The requests go to the domain.</summary>
    public bool ViaDomain => Mapping is { IsReady: true };

    /// <summary>Which address it is, for people: empty without a domain; "via DOMAIN", or "via the service URL (why)".</summary>
    public string Via => Mapping switch
    {
        null => "",
        { IsReady: true } => $"via {Mapping.Domain}",
        _ => $"via the service URL ({Mapping.Pending})",
    };

    /// <summary>
    /// The address of <paramref name="target"/>'s service as a whole; a revision's own URL (<paramref name="revision"/>
    /// not null) is never a domain's — a domain routes to what the service serves.
    /// </summary>
    public static async Task<ServiceAddress> OfAsync(IPlatform platform, ResolvedTarget target, string? revision, CancellationToken ct)
    {
        var service = await platform.UrlAsync(target, revision, ct);
        if (revision is not null || target.Domain is null)
        {
            return new ServiceAddress(service, service, null);
        }

        var mapping = await platform.GetDomainMappingAsync(target, ct);
        return new ServiceAddress(mapping.IsReady ? mapping.Endpoint! : service, service, mapping);
    }

    /// <summary>The URL an invoker's credentials are asked for, for a request to <paramref name="url"/> (on <see cref="Base"/>): the same path on the service's URL.</summary>
    public Uri CredentialsUrl(Uri url) => ViaDomain ? new Uri(Service, url.PathAndQuery) : url;
}
