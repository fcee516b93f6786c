namespace DeployMatrix.Core.Model;

/// <summary>How a lane's revisions speak HTTP to the platform in front of them.</summary>
public enum ServingProtocol
{
    /// <summary>HTTP/1.1 (the default): clients may still speak HTTP/2 to the listener.</summary>
    Http1,

    /// <summary>HTTP/2 cleartext with prior knowledge, end to end (gRPC): Cloud Run's <c>--use-http2</c>.</summary>
    H2c,
}

/// <summary>
/// How the local platform serves a lane (the matrix's <c>serving</c>, field by field over <c>defaults.serving</c>):
/// the protocol and request timeout of its revisions and what the service's listener accepts. On Cloud Run
/// the same settings belong to the service itself (<c>--timeout</c>, <c>--use-http2</c>, Cloud Run's own limits).
/// </summary>
public sealed record ServingPolicy
{
    public static readonly ServingPolicy Default = new();

    /// <summary>The shortest request timeout: 1 s.</summary>
    public static readonly TimeSpan MinRequestTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The longest request timeout: 60 minutes, Cloud Run's limit.</summary>
    public static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromMinutes(60);

    public const int MinHeaderBytes = 1024;
    public const int MaxHeaderBytesLimit = 1024 * 1024;
    public const int MaxHeadersLimit = 10_000;
    public const long MaxBodyBytesLimit = 1L << 40;

    /// <value>The default is <see cref="ServingProtocol.Http1"/>.</value>
    public ServingProtocol Protocol { get; init; } = ServingProtocol.Http1;

    /// <value>
    /// The default is 300 seconds (Cloud Run's): a request not answered in full by then is cut (504 when nothing
    /// was answered yet). It is also how long a revision that lost its traffic may finish what it is serving.
    /// </value>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <value>The default is 32,768 bytes (Kestrel's): a request's header fields together; more is answered 431.</value>
    public int MaxHeaderBytes { get; init; } = 32 * 1024;

    /// <value>The default is 100 header fields (Kestrel's); more is answered 431.</value>
    public int MaxHeaders { get; init; } = 100;

    /// <value>The default is 32 MiB (Cloud Run's limit for HTTP/1 requests); a longer body is answered 413.</value>
    public long MaxBodyBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>A PEM certificate (relative to the matrix): the listener then speaks HTTPS (HTTP/1.1 and HTTP/2 by ALPN) instead of cleartext.</summary>
    public FileRef? TlsCertificate { get; init; }

    /// <summary>The certificate's PEM private key; null when the certificate file holds it too.</summary>
    public FileRef? TlsKey { get; init; }
}
