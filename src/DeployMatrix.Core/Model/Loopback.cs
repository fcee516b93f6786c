using System.Net;

namespace DeployMatrix.Core.Model;

/// <summary>Where cleartext is acceptable: this machine's loopback interface, which no other host can listen on.</summary>
public static class Loopback
{
    /// <summary>Whether the URL's host is <c>localhost</c> (RFC 6761 §6.3) or a loopback address (127.0.0.0/8, ::1).</summary>
    public static bool Is(Uri uri) =>
        uri.IsLoopback || string.Equals(uri.IdnHost, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(uri.IdnHost, out var address) && IPAddress.IsLoopback(address));

    /// <summary>Why a credential may not be sent to <paramref name="uri"/>: plain http to another machine; null when it may.</summary>
    public static string? CleartextProblem(Uri uri) => uri.Scheme == Uri.UriSchemeHttp && !Is(uri)
        ? $"{uri.GetLeftPart(UriPartial.Authority)} is plain http to another machine, where anyone on the way reads the credential; use https (http is for loopback only)"
        : null;
}
