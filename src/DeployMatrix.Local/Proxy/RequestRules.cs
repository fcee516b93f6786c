using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using System.Net.Http.Headers;
using Microsoft.Extensions.Primitives;

namespace DeployMatrix.Local.Proxy;

/// <summary>
/// What the listener refuses beyond Kestrel's own checks (which answer malformed heads, bad framing and
/// oversized headers before any of our code runs). Each rule names why Kestrel's lenience, fine for a
/// server that answers itself, is not for a proxy that hands the request to another parser.
/// </summary>
internal static class RequestRules
{
    /// <summary>Field values may hold visible characters, SP and HTAB only (RFC 9110 §5.5).</summary>
    private static readonly SearchValues<char> Controls = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Where(c => c != '\t').Select(c => (char)c), '\u007f']);

    /// <summary>What never belongs in a request-target: whitespace and control characters (RFC 3986 has none).</summary>
    private static readonly SearchValues<char> TargetBreakers = SearchValues.Create(
        [.. Enumerable.Range(0, 0x21).Select(c => (char)c), '\u007f']);

    /// <summary>Null to go on; otherwise the status and the one line to answer with.</summary>
    public static (int Status, string Message)? Refusal(HttpContext context)
    {
        var request = context.Request;
        var headers = request.Headers;
        var http1 = HttpProtocol.IsHttp11(request.Protocol) || HttpProtocol.IsHttp10(request.Protocol);
        if (http1 && HttpMethods.IsConnect(request.Method))
        {
            // Kestrel hands a CONNECT to the application; a service's listener is no forward proxy and opens no tunnels.
            return (501, "CONNECT is not supported: this listener forwards requests, it opens no tunnels");
        }

        if (headers.TransferEncoding.Count > 0)
        {
            // Kestrel frames a request carrying both by Transfer-Encoding, moves Content-Length to
            // X-Content-Length and closes the connection after it. RFC 9112 §6.3 says such a message
            // "ought to be handled as an error": it is a smuggling probe or a broken client, never a request to pass on.
            if (headers.ContainsKey("X-Content-Length"))
            {
                return (400, "Content-Length and Transfer-Encoding together are ambiguous");
            }

            // Kestrel reads chunked bodies on HTTP/1.0; RFC 9112 §6.1 says such a message's framing is faulty.
            if (HttpProtocol.IsHttp10(request.Protocol))
            {
                return (400, "HTTP/1.0 has no transfer codings");
            }

            // Kestrel only checks that chunked is the final coding; chunked twice (or any other coding) is
            // framing another parser may read differently, and the only coding we forward (RFC 9112 §6.1: 501).
            if (headers.TransferEncoding.Count > 1 || !string.Equals(headers.TransferEncoding.ToString().Trim(), "chunked", StringComparison.OrdinalIgnoreCase))
            {
                return (501, "the only transfer coding accepted is a single 'chunked'");
            }
        }

        // Kestrel hands an upgrade request that carries a body to the application as an upgrade; whether the
        // bytes after its head are that body or the new protocol is exactly what two parsers disagree on.
        if (http1 && headers.Upgrade.Count > 0 && (headers.TransferEncoding.Count > 0 || request.ContentLength > 0))
        {
            return (400, "an upgrade request cannot carry a body");
        }

        // RFC 9112 §2.2 lets a server replace a bare CR in the request line with SP and go on, as Kestrel
        // does; the request-target it read is then not the one the client wrote: refused instead.
        if (context.Features.Get<IHttpRequestFeature>()?.RawTarget is { } target && target.AsSpan().ContainsAny(TargetBreakers))
        {
            return (400, "the request target holds whitespace or a control character");
        }

        // The proxy relays the message; a Connection field that names a field it needs to relay it (or its
        // own forwarding fields) would have it drop them under RFC 9110 §7.6.1: refused, not obeyed.
        if (headers.Connection.Count > 0 && NamesProtectedField(headers.Connection))
        {
            return (400, "the Connection field names a field the request cannot do without");
        }

        return null;
    }

    /// <summary>A Content-Length past the body limit is answered before anything is forwarded (Kestrel would only find out once the body is read).</summary>
    public static bool BodyTooLarge(HttpContext context) =>
        context.Request.ContentLength is { } length
        && context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } max
        && length > max;

    /// <summary>An HTTP/1.x request with a chunked body: its framing is checked before a revision sees any of it.</summary>
    public static bool IsChunked(HttpRequest request) => request.Headers.TransferEncoding.Count > 0;

    /// <summary>
    /// Whether a field value the forwarder is about to send holds a control character. Kestrel keeps those
    /// other than NUL, CR and LF (RFC 9110 §5.5 lets a recipient keep them); a revision's parser may split
    /// or log on them, so they are refused. Checked on the outgoing request's fields, which the transformer
    /// walks anyway, so it costs no enumeration of its own.
    /// </summary>
    public static bool HasControl(HeaderStringValues values)
    {
        foreach (var value in values)
        {
            if (value.AsSpan().ContainsAny(Controls))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The answer to a request with a control character in a field (the transformer's refusal: nothing is forwarded).</summary>
    public const string ControlMessage = "deploymatrix: a header field holds a control character\n";

    private static bool NamesProtectedField(StringValues connection)
    {
        foreach (var value in connection)
        {
            foreach (var range in (value ?? "").AsSpan().Split(','))
            {
                var token = (value ?? "").AsSpan()[range].Trim();
                if (token.Equals("host", StringComparison.OrdinalIgnoreCase)
                    || token.Equals("content-length", StringComparison.OrdinalIgnoreCase)
                    || token.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase)
                    || token.Equals("forwarded", StringComparison.OrdinalIgnoreCase)
                    || token.StartsWith("x-forwarded-", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
