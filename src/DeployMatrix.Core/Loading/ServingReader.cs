using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Loading;

/// <summary>Reads a serving policy; any field not written is taken from the base (the defaults').</summary>
internal static class ServingReader
{
    public static readonly string[] Keys = ["protocol", "request-timeout", "max-header-bytes", "max-headers", "max-body-bytes", "tls"];
    private static readonly string[] TlsKeys = ["cert", "key"];
    private static readonly Dictionary<string, ServingProtocol> Protocols = new(StringComparer.Ordinal)
    {
        ["http1"] = ServingProtocol.Http1,
        ["h2c"] = ServingProtocol.H2c,
    };

    public static ServingPolicy Read(MapReader r, ServingPolicy baseline)
    {
        var serving = new ServingPolicy
        {
            Protocol = r.Enum("protocol", Protocols) ?? baseline.Protocol,
            RequestTimeout = r.Duration("request-timeout", ServingPolicy.MinRequestTimeout, ServingPolicy.MaxRequestTimeout) ?? baseline.RequestTimeout,
            MaxHeaderBytes = (int?)r.Integer("max-header-bytes", ServingPolicy.MinHeaderBytes, ServingPolicy.MaxHeaderBytesLimit) ?? baseline.MaxHeaderBytes,
            MaxHeaders = (int?)r.Integer("max-headers", 1, ServingPolicy.MaxHeadersLimit) ?? baseline.MaxHeaders,
            MaxBodyBytes = r.Integer("max-body-bytes", 1, ServingPolicy.MaxBodyBytesLimit) ?? baseline.MaxBodyBytes,
            TlsCertificate = baseline.TlsCertificate,
            TlsKey = baseline.TlsKey,
        };
        if (r.Mapping("tls") is { } tls)
        {
            var t = new MapReader(tls, $"'tls' of {r.Context}", r.Diagnostics, TlsKeys);
            var cert = t.String("cert", required: true);
            var key = t.String("key");
            serving = serving with
            {
                TlsCertificate = cert is null ? null : new FileRef(cert, t.PosOf("cert")),
                TlsKey = key is null ? null : new FileRef(key, t.PosOf("key")),
            };
        }

        return serving;
    }
}
