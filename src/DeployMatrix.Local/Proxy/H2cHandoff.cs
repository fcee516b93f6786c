using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DeployMatrix.Local.Proxy;

/// <summary>
/// HTTP/1.1 and h2c on one cleartext port. Kestrel picks a connection's protocol by ALPN, so without TLS an
/// endpoint speaks either HTTP/1.1 or HTTP/2 — but gRPC clients speak HTTP/2 by prior knowledge to the
/// same URL browsers and curl use (Cloud Run's front door takes both). So the real endpoints route each
/// new connection by its first bytes: the HTTP/2 preface (<c>PRI * HTTP/2.0…</c>, RFC 9113 §3.4, a method
/// no HTTP/1.1 request uses) goes to Kestrel's own HTTP/2 pipeline, taken from a hidden endpoint that accepts
/// no connection itself; everything else to HTTP/1.1. Only four bytes are looked at; Kestrel parses the rest.
/// </summary>
internal sealed class H2cHandoff(TimeSpan idleTimeout)
{
    private static readonly byte[] Preface = "PRI "u8.ToArray();

    /// <summary>The hidden endpoint's address: it binds nothing.</summary>
    public static EndPoint EndPoint { get; } = new HandoffEndPoint();

    private ConnectionDelegate? _http2;

    /// <summary>Configures the hidden endpoint: Kestrel builds its HTTP/2 pipeline there, and it is kept for the real endpoints.</summary>
    public void Capture(ListenOptions listen)
    {
        listen.Protocols = HttpProtocols.Http2;
        listen.Use(next =>
        {
            _http2 = next;
            return _ => Task.CompletedTask;
        });
    }

    /// <summary>The real endpoints' connection middleware, in front of Kestrel's HTTP/1.1 pipeline.</summary>
    public ConnectionDelegate Route(ConnectionDelegate http1) => async connection =>
    {
        switch (await SniffAsync(connection.Transport.Input))
        {
            case true:
                await (_http2 ?? throw new InvalidOperationException("the HTTP/2 pipeline was not built"))(connection);
                break;
            case false:
                await http1(connection);
                break;
            default:
                // Nothing arrived within the idle timeout (Kestrel's own keep-alive timer starts only with the protocol).
                break;
        }
    };

    /// <summary>True for the HTTP/2 preface, false for anything else, null when the client sent nothing in time. Nothing is consumed.</summary>
    private async Task<bool?> SniffAsync(PipeReader input)
    {
        using var idle = new CancellationTokenSource(idleTimeout);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(idle.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            var buffer = result.Buffer;
            var decided = Decide(buffer);
            if (decided is not null || result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start);
                return decided ?? false;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool? Decide(ReadOnlySequence<byte> buffer)
    {
        Span<byte> first = stackalloc byte[Preface.Length];
        var length = (int)Math.Min(buffer.Length, Preface.Length);
        buffer.Slice(0, length).CopyTo(first);
        if (!first[..length].SequenceEqual(Preface.AsSpan(0, length)))
        {
            return false;
        }

        return length == Preface.Length ? true : null;
    }

    private sealed class HandoffEndPoint : EndPoint
    {
        public override string ToString() => "h2c-handoff";
    }

    /// <summary>Binds the hidden endpoint to a listener that never accepts (the real endpoints use Kestrel's socket transport).</summary>
    public sealed class Factory : IConnectionListenerFactory, IConnectionListenerFactorySelector
    {
        public bool CanBind(EndPoint endpoint) => endpoint is HandoffEndPoint;

        public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken) =>
            new(new NeverListener(endpoint));
    }

    private sealed class NeverListener(EndPoint endpoint) : IConnectionListener
    {
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public EndPoint EndPoint => endpoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                await _closed.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Unbinding: no connection, ever.
            }

            return null;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            _closed.TrySetResult();
            return default;
        }

        public ValueTask DisposeAsync()
        {
            _closed.TrySetResult();
            return default;
        }
    }
}
