namespace DeployMatrix.Engine.Platform;

/// <summary>
/// What a target's domain mapping says now (Cloud Run v1 <c>DomainMapping</c>: <c>spec.routeName</c>,
/// <c>status.conditions[]</c>, <c>status.url</c>). Checks of the service use <see cref="Endpoint"/> once
/// <see cref="IsReady"/>, the service's URL until then (the seed's staging runbook).
/// </summary>
/// <param name="Domain">The host name the target names (<c>domain</c>).</param>
/// <param name="Applies">False where the platform has no domain mappings (the local platform); <see cref="Pending"/> then says why.</param>
/// <param name="Exists">The mapping exists on the platform.</param>
/// <param name="RouteName">The service the mapping routes to (<c>spec.routeName</c>), or null.</param>
/// <param name="Ready">The <c>Ready</c> condition's status (<c>True</c>, <c>False</c>, <c>Unknown</c>), or null when absent, with its message.</param>
/// <param name="Certificate">The <c>CertificateProvisioned</c> condition's status, or null when absent, with its message.</param>
/// <param name="Service">The target's service, which the mapping must route to.</param>
/// <param name="Endpoint">Where requests for the domain go: <c>https://DOMAIN/</c> (a test's loopback listener in its place); null where the mapping does not apply.</param>
public sealed record DomainMapping(
    string Domain, bool Applies, bool Exists, string? RouteName, string Service, (string Status, string? Message)? Ready, (string Status, string? Message)? Certificate, Uri? Endpoint)
{
    /// <summary>The mapping routes to the service and both conditions are <c>True</c>.</summary>
    public bool IsReady => Pending is null && Endpoint is not null;

    /// <summary>One line naming what is not yet so (or why the mapping does not apply), or null when the mapping is ready.</summary>
    public string? Pending => !Applies
        ? $"the local platform has no domain mappings; {Domain} is not served here"
        : !Exists
            ? $"no domain mapping for {Domain} exists"
            : RouteName != Service
                ? $"the domain mapping {Domain} routes to {RouteName ?? "no service"}, not to {Service}"
                : Condition("Ready", Ready) ?? Condition("CertificateProvisioned", Certificate);

    /// <summary>The status as a receipt and a report show it: <c>ready</c>, or <c>pending: …</c> / <c>not applicable: …</c>.</summary>
    public string Status => Pending is { } pending ? $"{(Applies ? "pending" : "not applicable")}: {pending}" : "ready";

    private string? Condition(string type, (string Status, string? Message)? condition) => condition switch
    {
        { Status: "True" } => null,
        null => $"the domain mapping {Domain} has no {type} condition yet",
        { } c => $"the domain mapping {Domain} is {type}={c.Status}{(string.IsNullOrEmpty(c.Message) ? "" : $" ({c.Message})")}",
    };
}
