using DeployMatrix.Core.Model;

namespace DeployMatrix.Local.Proxy;

/// <summary>
/// What a service's listener accepts, as Kestrel enforces it: header and body limits, how long a silent
/// connection stays open, and optional TLS. Resolved from the matrix's <c>serving</c> (certificate paths
/// made absolute) and kept with the service, so a restarted agent listens the same way.
/// </summary>
public sealed record ListenerSettings
{
    public static readonly ListenerSettings Default = new();

    /// <value>The default is 32,768 bytes (Kestrel's).</value>
    public int MaxHeaderBytes { get; init; } = ServingPolicy.Default.MaxHeaderBytes;

    /// <value>The default is 100 (Kestrel's).</value>
    public int MaxHeaders { get; init; } = ServingPolicy.Default.MaxHeaders;

    /// <value>The default is 32 MiB (Cloud Run's HTTP/1 limit).</value>
    public long MaxBodyBytes { get; init; } = ServingPolicy.Default.MaxBodyBytes;

    /// <value>
    /// The default is 120 seconds: a client connection with no request in progress for this long is closed
    /// (Kestrel's keep-alive timeout; a request head still arriving gets at most 30 s of it).
    /// </value>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>An absolute path to a PEM certificate: the listener speaks HTTPS (HTTP/1.1 and HTTP/2 by ALPN).</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>An absolute path to the certificate's PEM key, or null when the certificate file holds it.</summary>
    public string? TlsKey { get; init; }

    /// <summary>The listener's part of a lane's serving policy; relative certificate paths are taken from <paramref name="baseDirectory"/> (the matrix's folder).</summary>
    public static ListenerSettings From(ServingPolicy serving, string baseDirectory) => new()
    {
        MaxHeaderBytes = serving.MaxHeaderBytes,
        MaxHeaders = serving.MaxHeaders,
        MaxBodyBytes = serving.MaxBodyBytes,
        TlsCertificate = serving.TlsCertificate is { } cert ? Path.GetFullPath(cert.Path, baseDirectory) : null,
        TlsKey = serving.TlsKey is { } key ? Path.GetFullPath(key.Path, baseDirectory) : null,
    };
}
