using System.Net;
using System.Net.Sockets;

namespace DeployMatrix.Tests.Support;

/// <summary>
/// Loopback ports for the services a test declares in a matrix. They come from 20000–31999, below
/// Linux's ephemeral range (32768–60999, <c>/proc/sys/net/ipv4/ip_local_port_range</c>): a port the
/// kernel hands out for a bind to port 0 (every local revision's port) or an outgoing connection can
/// then never be one a parallel test has just written into its matrix and released. Asking the
/// kernel for port 0 here, as before, let an agent in another test take the port in between.
/// </summary>
internal static class TestPorts
{
    private const int First = 20000;
    private const int Count = 12000;

    // Each test process starts somewhere else in the range, so two test assemblies run side by side
    // do not walk the same ports in step.
    private static int _next = Environment.ProcessId * 7919 % Count;

    /// <summary>A port in 20000–31999 free on 127.0.0.1 right now; each call in this process gives another.</summary>
    /// <exception cref="InvalidOperationException">Every port in the range is taken.</exception>
    public static int Free()
    {
        for (var tries = 0; tries < Count; tries++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % Count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken (by another test process or anything else): try the next one.
            }
        }

        throw new InvalidOperationException($"no free loopback port in {First}–{First + Count - 1}");
    }
}
