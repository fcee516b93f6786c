using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DeployMatrix.Local.Proxy;
using DeployMatrix.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DeployMatrix.Local.Tests.Proxy;

/// <summary>A listener with a certificate from PEM files (serving.tls): HTTPS, HTTP/1.1 and HTTP/2 by ALPN, and the revisions told so.</summary>
public sealed class TlsListenerTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private X509Certificate2 _certificate = null!;
    private WebApplication _upstream = null!;
    private ServiceProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UnixEpoch.AddYears(50), DateTimeOffset.UnixEpoch.AddYears(100));
        var cert = _dir.Write("tls/cert.pem", _certificate.ExportCertificatePem());
        var keyFile = _dir.Write("tls/key.pem", key.ExportPkcs8PrivateKeyPem());

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _upstream = builder.Build();
        _upstream.Run(c => c.Response.WriteAsync($"{c.Request.Headers["X-Forwarded-Proto"]} {c.Request.Headers["Forwarded"]}"));
        await _upstream.StartAsync();
        _proxy = await ServiceProxy.StartAsync("test", "svc", 0, ListenerSettings.Default with { TlsCertificate = cert, TlsKey = keyFile }, TimeProvider.System, CancellationToken.None);
        _proxy.SetWheel(TrafficWheel.Build([(new RevisionEndpoint("rev-1", new Uri(_upstream.Urls.First()).Port), 100)]));
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
        _certificate.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task RequestsOverTls_AreForwarded_AsHttps(string version)
    {
        var thumbprint = _certificate.Thumbprint;
        using var http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is X509Certificate2 c && c.Thumbprint == thumbprint },
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{_proxy.Port}/") { Version = Version.Parse(version), VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await http.SendAsync(request);

        Assert.True(_proxy.Tls);
        Assert.Equal(Version.Parse(version), response.Version);
        Assert.Equal($"https for=127.0.0.1;host=\"127.0.0.1:{_proxy.Port}\";proto=https", await response.Content.ReadAsStringAsync());
    }
}
