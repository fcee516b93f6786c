using System.Net;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace DeployMatrix.Local.Proxy;

/// <summary>
/// YARP's default copying of requests and responses (which drops the hop-by-hop fields: Connection,
/// Keep-Alive, Proxy-*, TE but an HTTP/2 client's <c>trailers</c>, Upgrade, …), plus what a front door owes
/// its revisions: fields the client named in Connection stay on this hop (RFC 9110 §7.6.1), the client's
/// forwarding fields are replaced by the proxy's own, and the moment the revision's answer begins is counted.
/// </summary>
internal sealed class ForwardingTransformer : HttpTransformer
{
    private const string XForwardedPrefix = "X-Forwarded-";
    private Forwarded? _lastForwarded;

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var headers = proxyRequest.Headers;
        foreach (var connection in httpContext.Request.Headers.Connection)
        {
            DropNamed(proxyRequest, connection);
        }

        List<string>? forwarding = null;
        var control = false;
        foreach (var header in headers.NonValidated)
        {
            if (header.Key.StartsWith(XForwardedPrefix, StringComparison.OrdinalIgnoreCase) || header.Key.Equals("Forwarded", StringComparison.OrdinalIgnoreCase))
            {
                (forwarding ??= []).Add(header.Key);
            }

            control |= RequestRules.HasControl(header.Value);
        }

        if (proxyRequest.Content is { } content)
        {
            foreach (var header in content.Headers.NonValidated)
            {
                control |= RequestRules.HasControl(header.Value);
            }
        }

        if (control)
        {
            // A response set here means the forwarder sends nothing (see RequestRules.HasControl).
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status400BadRequest;
            response.Headers.Connection = "close";
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync(RequestRules.ControlMessage, cancellationToken);
            return;
        }

        foreach (var name in forwarding ?? [])
        {
            headers.Remove(name);
        }

        var forwarded = ForwardedFor(httpContext);
        headers.TryAddWithoutValidation("X-Forwarded-For", forwarded.For);
        headers.TryAddWithoutValidation("X-Forwarded-Proto", forwarded.Proto);
        if (forwarded.Host.Length > 0)
        {
            headers.TryAddWithoutValidation("X-Forwarded-Host", forwarded.Host);
        }

        headers.TryAddWithoutValidation("Forwarded", forwarded.Value);
    }

    public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is not null && httpContext.Features.Get<Exchange>() is { } exchange)
        {
            var contentType = proxyResponse.Content?.Headers.NonValidated.TryGetValues("Content-Type", out var values) == true ? values.ToString() : null;
            exchange.Answer(httpContext, (int)proxyResponse.StatusCode, contentType);
        }

        return base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
    }

    /// <summary>Removes the fields one Connection value names; its own options (keep-alive, close, upgrade) are gone already.</summary>
    private static void DropNamed(HttpRequestMessage request, string? connection)
    {
        var value = (connection ?? "").AsSpan();
        foreach (var range in value.Split(','))
        {
            var token = value[range].Trim();
            if (token.IsEmpty || token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase) || token.Equals("close", StringComparison.OrdinalIgnoreCase)
                || token.Equals("upgrade", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var name = token.ToString();
            request.Headers.Remove(name);
            request.Content?.Headers.Remove(name);
        }
    }

    /// <summary>The forwarding fields for this client, kept while the next request is from the same client to the same host (no allocation on the common path).</summary>
    private Forwarded ForwardedFor(HttpContext context)
    {
        var ip = context.Connection.RemoteIpAddress;
        var forIp = ip is null ? "unknown" : ip.Equals(IPAddress.Loopback) ? "127.0.0.1" : ip.Equals(IPAddress.IPv6Loopback) ? "::1" : ip.ToString();
        var host = context.Request.Host.Value ?? "";
        var proto = context.Request.IsHttps ? "https" : "http";
        var last = Volatile.Read(ref _lastForwarded);
        if (last is not null && ReferenceEquals(last.For, forIp) && last.Host == host && ReferenceEquals(last.Proto, proto))
        {
            return last;
        }

        var node = forIp.Contains(':', StringComparison.Ordinal) ? $"\"[{forIp}]\"" : forIp;
        var built = new Forwarded(forIp, host, proto, host.Length > 0 ? $"for={node};host=\"{host}\";proto={proto}" : $"for={node};proto={proto}");
        Volatile.Write(ref _lastForwarded, built);
        return built;
    }

    private sealed record Forwarded(string For, string Host, string Proto, string Value);
}
