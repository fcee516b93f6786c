using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DeployMatrix.Local.Tests.Support;

/// <summary>Requests written byte for byte on a real socket, and what came back.</summary>
internal static class RawHttp
{
    /// <summary>Sends <paramref name="raw"/> (Latin-1) and reads until the listener closes or <paramref name="limit"/> passes (default 10 s).</summary>
    public static async Task<string> ExchangeAsync(int port, string raw, TimeSpan? limit = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(Encoding.Latin1.GetBytes(raw));
        return await ReadToEndAsync(socket, limit);
    }

    /// <summary>Everything the other side sends until it closes (a reset counts as closing) or <paramref name="limit"/> passes.</summary>
    public static async Task<string> ReadToEndAsync(Socket socket, TimeSpan? limit = null)
    {
        var all = new MemoryStream();
        var buffer = new byte[8192];
        using var cts = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(10));
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                all.Write(buffer, 0, read);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with a reset: what arrived before it stands.
        }
        catch (OperationCanceledException)
        {
            // Still open at the limit (a kept-alive connection after its answer): what arrived stands.
        }

        return Encoding.Latin1.GetString(all.ToArray());
    }

    /// <summary>Sends <paramref name="raw"/> and reads one response framed by Content-Length (the connection may stay open).</summary>
    public static async Task<string> ExchangeOneAsync(int port, string raw)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(Encoding.Latin1.GetBytes(raw));
        var all = new StringBuilder();
        var buffer = new byte[8192];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var text = all.ToString();
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var length = end < 0 ? null : text[..end].Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Select(p => (int?)int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
            if (length is { } n && text.Length >= end + 4 + n)
            {
                return text;
            }

            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (read == 0)
            {
                return text;
            }

            all.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }
    }

    /// <summary>The status code of the first response in <paramref name="answer"/>, or 0 when the listener closed without one.</summary>
    public static int Status(string answer) =>
        answer.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(answer.AsSpan(9, 3), out var status) ? status : 0;
}
