using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace DeployMatrix.Local.Proxy;

/// <summary>
/// One request on its way through the proxy: which revision it went to, when it started, whether the
/// revision's answer has begun, and the timer that cuts it at the revision's request timeout. Pooled per
/// listener and handed to the transformer through the request's features, so forwarding allocates none of it.
/// </summary>
internal sealed class Exchange(TimeProvider time) : IDisposable
{
    private CancellationTokenSource _timeout = new(Timeout.InfiniteTimeSpan, time);

    public RevisionEndpoint Endpoint { get; private set; } = null!;

    public long Started { get; private set; }

    /// <summary>Whether the revision's response head arrived (and was counted).</summary>
    public bool Answered { get; private set; }

    /// <summary>Cancelled when the request timeout passes.</summary>
    public CancellationToken Deadline => _timeout.Token;

    public bool TimedOut => _timeout.IsCancellationRequested;

    public void Begin(RevisionEndpoint endpoint)
    {
        Endpoint = endpoint;
        Started = Stopwatch.GetTimestamp();
        Answered = false;
        _timeout.CancelAfter(endpoint.RequestTimeout);
    }

    /// <summary>The revision's response head arrived: counted once, with its time to head when it is a latency sample.</summary>
    public void Answer(HttpContext context, int status, string? contentType)
    {
        Answered = true;
        Endpoint.Metrics.RecordAnswer(status, Stopwatch.GetElapsedTime(Started), KindOf(context, status, contentType));
    }

    /// <summary>Ready for the next request: the timer is stopped (a fired one is replaced).</summary>
    public void End()
    {
        if (!_timeout.TryReset())
        {
            _timeout.Dispose();
            _timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        }

        Endpoint = null!;
    }

    public void Dispose() => _timeout.Dispose();

    private static ExchangeKind KindOf(HttpContext context, int status, string? contentType)
    {
        var request = context.Request;
        if (status == StatusCodes.Status101SwitchingProtocols || (HttpMethods.IsConnect(request.Method) && status is >= 200 and < 300))
        {
            return ExchangeKind.Upgraded;
        }

        if (contentType is not null && contentType.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            return ExchangeKind.Streamed;
        }

        // Over HTTP/2 Kestrel marks the request's trailers available once the client ended its stream, whatever
        // the application has read: an answer that began before that streams alongside the request (gRPC
        // client and bidirectional streaming), and its head time is the client's pace, not the revision's.
        return HttpProtocol.IsHttp2(request.Protocol)
            && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
            && context.Features.Get<IHttpRequestTrailersFeature>()?.Available == false
            ? ExchangeKind.Streamed
            : ExchangeKind.Sample;
    }
}
