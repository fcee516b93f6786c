using System.Buffers.Text;
using System.Text;

namespace DeployMatrix.Local.Proxy;

/// <summary>How a message's body ends (RFC 9112 section 6).</summary>
public enum BodyFraming
{
    None,
    ContentLength,
    Chunked,

    /// <summary>A response without a length: its body runs until the upstream closes the connection.</summary>
    UntilClose,
}

/// <summary>What the forwarder needs from a request head; the head itself is forwarded byte for byte.</summary>
public readonly record struct RequestHead(int Length, bool IsHead, bool KeepAlive, BodyFraming Framing, long ContentLength, bool ExpectsContinue, bool Upgrade);

/// <summary>What the forwarder needs from a response head.</summary>
public readonly record struct ResponseHead(int Length, int Status, bool KeepAlive, BodyFraming Framing, long ContentLength);

/// <summary>
/// The minimum of HTTP/1.1 a byte-level forwarder must understand: where a head ends, where a body ends,
/// and whether the connection may carry another message. Pure functions over spans; nothing is copied.
/// Ambiguous framing (both Content-Length and Transfer-Encoding, conflicting lengths) is refused, which
/// closes the request-smuggling holes a forwarder that guesses would open.
/// </summary>
public static class Http1
{
    public const int MaxHeadBytes = 64 * 1024;

    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    /// <summary>The head's length including its final blank line, or -1 when it is not complete yet.</summary>
    /// <param name="from">Bytes already searched (a resumed search starts a little before them).</param>
    public static int FindHeadEnd(ReadOnlySpan<byte> data, int from)
    {
        var start = Math.Max(0, from - 3);
        var at = data[start..].IndexOf("\r\n\r\n"u8);
        return at < 0 ? -1 : start + at + 4;
    }

    /// <summary>Reads a complete request head (as found by <see cref="FindHeadEnd"/>); null when it is malformed.</summary>
    public static RequestHead? ParseRequest(ReadOnlySpan<byte> head)
    {
        var lineEnd = head.IndexOf(Crlf);
        var line = head[..lineEnd];
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1)
        {
            return null;
        }

        var method = line[..firstSpace];
        var version = line[(lastSpace + 1)..];
        bool http10;
        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            http10 = false;
        }
        else if (version.SequenceEqual("HTTP/1.0"u8))
        {
            http10 = true;
        }
        else
        {
            return null;
        }

        if (!ReadFraming(head[(lineEnd + 2)..], out var fields))
        {
            return null;
        }

        var framing = fields.Chunked ? BodyFraming.Chunked : fields.ContentLength > 0 ? BodyFraming.ContentLength : BodyFraming.None;
        if (fields.OtherTransferCoding)
        {
            return null; // a request body whose end cannot be known
        }

        var keepAlive = http10 ? fields.KeepAliveToken : !fields.CloseToken;
        return new RequestHead(head.Length, method.SequenceEqual("HEAD"u8), keepAlive, framing, fields.ContentLength, fields.ExpectsContinue, fields.UpgradeToken && fields.HasUpgrade);
    }

    /// <summary>Reads a complete response head; <paramref name="requestWasHead"/> decides whether a body follows.</summary>
    public static ResponseHead? ParseResponse(ReadOnlySpan<byte> head, bool requestWasHead)
    {
        // "HTTP/1.x NNN reason"
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || head[8] != (byte)' ')
        {
            return null;
        }

        var http10 = head[7] == (byte)'0';
        if (!Utf8Parser.TryParse(head.Slice(9, 3), out int status, out var used) || used != 3 || status < 100 || head[12] is not ((byte)' ' or (byte)'\r'))
        {
            return null;
        }

        var lineEnd = head.IndexOf(Crlf);
        if (!ReadFraming(head[(lineEnd + 2)..], out var fields))
        {
            return null;
        }

        var keepAlive = http10 ? fields.KeepAliveToken : !fields.CloseToken;
        BodyFraming framing;
        if (requestWasHead || status < 200 || status is 204 or 304)
        {
            framing = BodyFraming.None;
        }
        else if (fields.Chunked)
        {
            framing = BodyFraming.Chunked;
        }
        else if (fields.HasContentLength && !fields.OtherTransferCoding)
        {
            framing = fields.ContentLength > 0 ? BodyFraming.ContentLength : BodyFraming.None;
        }
        else
        {
            framing = BodyFraming.UntilClose;
            keepAlive = false;
        }

        return new ResponseHead(head.Length, status, keepAlive, framing, fields.ContentLength);
    }

    private struct FramingFields
    {
        public bool HasContentLength;
        public long ContentLength;
        public bool Chunked;
        public bool OtherTransferCoding;
        public bool CloseToken;
        public bool KeepAliveToken;
        public bool UpgradeToken;
        public bool HasUpgrade;
        public bool ExpectsContinue;
    }

    private static bool ReadFraming(ReadOnlySpan<byte> fieldLines, out FramingFields fields)
    {
        fields = default;
        var hasTransferEncoding = false;
        while (fieldLines.Length > 2)
        {
            var end = fieldLines.IndexOf(Crlf);
            var line = fieldLines[..end];
            fieldLines = fieldLines[(end + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                return false;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t');
            switch (name.Length)
            {
                case 14 when Ascii.EqualsIgnoreCase(name, "content-length"u8):
                    if (!Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length || length < 0
                        || (fields.HasContentLength && fields.ContentLength != length))
                    {
                        return false;
                    }

                    fields.HasContentLength = true;
                    fields.ContentLength = length;
                    break;
                case 17 when Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8):
                    hasTransferEncoding = true;
                    // Chunked must be the last coding; anything else leaves the length unknown.
                    var lastComma = value.LastIndexOf((byte)',');
                    var last = (lastComma < 0 ? value : value[(lastComma + 1)..]).Trim((byte)' ');
                    fields.Chunked = Ascii.EqualsIgnoreCase(last, "chunked"u8);
                    fields.OtherTransferCoding = !fields.Chunked;
                    break;
                case 10 when Ascii.EqualsIgnoreCase(name, "connection"u8):
                    foreach (var range in value.Split((byte)','))
                    {
                        var token = value[range].Trim((byte)' ');
                        fields.CloseToken |= Ascii.EqualsIgnoreCase(token, "close"u8);
                        fields.KeepAliveToken |= Ascii.EqualsIgnoreCase(token, "keep-alive"u8);
                        fields.UpgradeToken |= Ascii.EqualsIgnoreCase(token, "upgrade"u8);
                    }

                    break;
                case 7 when Ascii.EqualsIgnoreCase(name, "upgrade"u8):
                    fields.HasUpgrade = true;
                    break;
                case 6 when Ascii.EqualsIgnoreCase(name, "expect"u8):
                    fields.ExpectsContinue = Ascii.EqualsIgnoreCase(value, "100-continue"u8);
                    break;
            }
        }

        // Both a length and a transfer coding is how requests are smuggled past proxies: refuse it.
        return !(hasTransferEncoding && fields.HasContentLength);
    }

    /// <summary>A head with its Expect field removed (the forwarder answers 100 Continue itself).</summary>
    public static byte[] WithoutExpect(ReadOnlySpan<byte> head)
    {
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n").Where(l => !l.StartsWith("expect:", StringComparison.OrdinalIgnoreCase));
        return Encoding.Latin1.GetBytes(string.Join("\r\n", lines));
    }
}
