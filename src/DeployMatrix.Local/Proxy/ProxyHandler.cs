using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.ObjectPool;
using Yarp.ReverseProxy.Forwarder;

namespace DeployMatrix.Local.Proxy;

/// <summary>
/// What the listener does with each request Kestrel accepted: our refusals, the maintenance gate, the
/// chunked-body check, then one revision from the wheel and YARP's forwarder, bounded by that revision's
/// request timeout. The common path allocates nothing of ours (the exchange state is pooled).
/// </summary>
internal sealed class ProxyHandler : IDisposable
{
    /// <summary>How much of a chunked body is read (unconsumed) before a revision is chosen: Kestrel checks its framing meanwhile.</summary>
    private const int ChunkedLookahead = 64 * 1024;

    private readonly string _env;
    private readonly string _service;
    private readonly IHttpForwarder _forwarder;
    private readonly HttpMessageInvoker _client;
    private readonly ForwardingTransformer _transformer = new();
    private readonly ObjectPool<Exchange> _exchanges;
    private TrafficWheel _wheel = TrafficWheel.Empty;
    private MaintenanceGate? _maintenance;

    public ProxyHandler(string env, string service, IHttpForwarder forwarder, TimeProvider time)
    {
        _env = env;
        _service = service;
        _forwarder = forwarder;
        _exchanges = new DefaultObjectPool<Exchange>(new ExchangePolicy(time), maximumRetained: 1024);
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // A revision's kept-alive connection idle longer than this is closed rather than reused.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = true,
        });
    }

    public TrafficWheel Wheel
    {
        get => Volatile.Read(ref _wheel);
        set => Volatile.Write(ref _wheel, value);
    }

    public MaintenanceGate? Maintenance
    {
        get => Volatile.Read(ref _maintenance);
        set => Volatile.Write(ref _maintenance, value);
    }

    public Task HandleAsync(HttpContext context)
    {
        if (RequestRules.Refusal(context) is { } refusal)
        {
            return RefuseAsync(context, refusal.Status, $"deploymatrix: {refusal.Message}");
        }

        if (Maintenance is { } gate && gate.Judge(context.Request) is { } answer)
        {
            return AnswerAsync(context, answer);
        }

        if (RequestRules.BodyTooLarge(context))
        {
            return RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "deploymatrix: the request body is larger than the listener accepts (serving.max-body-bytes)");
        }

        return RequestRules.IsChunked(context.Request) ? CheckChunkedThenForwardAsync(context) : ForwardAsync(context);
    }

    public void Dispose() => _client.Dispose();

    private async Task CheckChunkedThenForwardAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(context.RequestAborted);
                if (result.IsCompleted || result.Buffer.Length >= ChunkedLookahead)
                {
                    reader.AdvanceTo(result.Buffer.Start);
                    break;
                }

                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }
        catch (BadHttpRequestException e)
        {
            await RefuseAsync(context, e.StatusCode, $"deploymatrix: the request body is malformed: {e.Message}");
            return;
        }
        catch (IOException e)
        {
            // Kestrel reports some chunk-size errors (an overflowing size) as an IOException.
            await RefuseAsync(context, StatusCodes.Status400BadRequest, $"deploymatrix: the request body is malformed: {e.Message}");
            return;
        }
        catch (OperationCanceledException)
        {
            return; // the client went away
        }

        await ForwardAsync(context);
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var endpoint = Wheel.Next();
        if (endpoint is null)
        {
            await WriteAsync(context, StatusCodes.Status503ServiceUnavailable, $"deploymatrix: no revision of {_service} ({_env}) takes traffic");
            return;
        }

        endpoint.Enter();
        var exchange = _exchanges.Get();
        exchange.Begin(endpoint);
        context.Features.Set(exchange);
        try
        {
            var error = await _forwarder.SendAsync(context, endpoint.Prefix, _client, endpoint.RequestConfig, _transformer, exchange.Deadline);
            if (error != ForwarderError.None)
            {
                await FailedAsync(context, exchange, error);
            }
        }
        finally
        {
            context.Features.Set<Exchange>(null);
            exchange.End();
            _exchanges.Return(exchange);
            endpoint.Leave();
        }
    }

    /// <summary>Counts and answers an exchange the forwarder could not complete: the revision's fault, the timeout's, or the client's.</summary>
    private static async Task FailedAsync(HttpContext context, Exchange exchange, ForwarderError error)
    {
        var endpoint = exchange.Endpoint;
        var timedOut = exchange.TimedOut || error is ForwarderError.RequestTimedOut;
        if (exchange.Answered)
        {
            // The answer had begun (and was counted); the forwarder has cut the client's connection.
            if (timedOut)
            {
                endpoint.Metrics.RecordCut();
            }

            return;
        }

        if (!timedOut && (context.RequestAborted.IsCancellationRequested || error is ForwarderError.RequestBodyClient or ForwarderError.RequestBodyCanceled))
        {
            return; // the client went away or sent a broken body: nothing the revision did
        }

        endpoint.Metrics.RecordFailure(timedOut);
        if (context.Response.HasStarted)
        {
            return;
        }

        await WriteAsync(context, timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway, timedOut
            ? $"deploymatrix: revision {endpoint.Revision} did not answer within the request timeout ({endpoint.RequestTimeout.TotalSeconds:0.###} s, serving.request-timeout)"
            : $"deploymatrix: revision {endpoint.Revision} did not answer: {Why(context.GetForwarderErrorFeature()?.Exception)}");
    }

    private static string Why(Exception? e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return "connection refused";
            }
        }

        return e is null ? "no answer" : e.GetBaseException().Message.ReplaceLineEndings(" ");
    }

    private static Task AnswerAsync(HttpContext context, ProxyAnswer answer)
    {
        var response = context.Response;
        response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers)
        {
            response.Headers.Append(name, value);
        }

        if (answer.Body.Length == 0)
        {
            return Task.CompletedTask;
        }

        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(answer.Body);
    }

    /// <summary>A refused request's connection is closed after the answer: what follows on it (an unread body, a smuggled request) is not read as a request.</summary>
    private static Task RefuseAsync(HttpContext context, int status, string message) => WriteAsync(context, status, message, close: true);

    private static Task WriteAsync(HttpContext context, int status, string message, bool close = false)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = status;
        if (close)
        {
            response.Headers.Connection = "close";
        }

        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(message + "\n");
    }

    private sealed class ExchangePolicy(TimeProvider time) : PooledObjectPolicy<Exchange>
    {
        public override Exchange Create() => new(time);

        public override bool Return(Exchange obj) => true;
    }
}
