using System.Net;
using System.Threading.Channels;
using DeployMatrix.Core.Model;
using DeployMatrix.State;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace DeployMatrix.Engine.Notifications;

/// <summary>
/// Delivers events to the matrix's channels in the background. <see cref="Publish"/> only queues (each channel has
/// its own bounded queue and worker, so one slow receiver never holds up another, and a channel gets its events in
/// order); a rollback or traffic change publishes after it is done and never waits for a receiver. Each delivery is
/// retried with backoff (Polly) under a per-attempt and a per-delivery deadline, and recorded in the state store by
/// channel name — never by URL or key. <see cref="Dispose"/> (the end of a command) waits at most
/// <see cref="NotifyOptions.ExitDeadline"/> for what is under way, then stops it.
/// </summary>
public sealed class NotificationDispatcher : INotificationPublisher, IDisposable
{
    private readonly List<Worker> _workers;
    private readonly HttpClient _http;
    private readonly StateStore _state;
    private readonly Func<string, string?> _env;
    private readonly TimeProvider _time;
    private readonly NotifyOptions _options;
    private readonly ResiliencePipeline<HttpStatusCode> _pipeline;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    /// <param name="env">Reads the channels' URL and key variables, at each delivery.</param>
    /// <param name="time">Times attempts and backoff (a real clock: these are real requests).</param>
    /// <param name="handler">The HTTP handler (default: a new <see cref="SocketsHttpHandler"/>).</param>
    public NotificationDispatcher(IReadOnlyList<NotifyChannel> channels, StateStore state, Func<string, string?> env, TimeProvider time, NotifyOptions? options = null, HttpMessageHandler? handler = null)
    {
        _state = state;
        _env = env;
        _time = time;
        _options = options ?? new NotifyOptions();
        // Redirects are not followed: a signed body goes only where the variable says.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
        _pipeline = new ResiliencePipelineBuilder<HttpStatusCode> { TimeProvider = time }
            .AddTimeout(_options.DeliveryDeadline)
            .AddRetry(new RetryStrategyOptions<HttpStatusCode>
            {
                MaxRetryAttempts = Math.Max(0, _options.Attempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                Delay = _options.Backoff,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpStatusCode>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(status => (int)status >= 500 || status == HttpStatusCode.TooManyRequests),
            })
            .AddTimeout(_options.AttemptTimeout)
            .Build();
        _workers = [.. channels.Select(c => new Worker(this, c))];
    }

    public void Publish(NotificationEvent notification)
    {
        foreach (var worker in _workers.Where(w => w.Channel.Wants(notification.Kind, notification.Lane, notification.Environment)))
        {
            worker.Enqueue(notification);
        }
    }

    /// <summary>Takes no more events and waits for the queued ones, at most <paramref name="deadline"/>; then stops what is left (recorded as failed or dropped).</summary>
    public async Task DrainAsync(TimeSpan deadline)
    {
        foreach (var worker in _workers)
        {
            worker.Complete();
        }

        var all = Task.WhenAll(_workers.Select(w => w.Running));
        try
        {
            await all.WaitAsync(deadline, _time);
        }
        catch (TimeoutException)
        {
            await _stop.CancelAsync();
            // Stopped deliveries record themselves at once; this bounds that too.
            await all.WaitAsync(TimeSpan.FromSeconds(2), _time).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        DrainAsync(_options.ExitDeadline).GetAwaiter().GetResult();
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task DeliverAsync(NotifyChannel channel, NotificationEvent e)
    {
        var url = _env(channel.UrlEnv);
        if (string.IsNullOrEmpty(url))
        {
            Record(channel, e, "skipped", 0, null, $"{channel.UrlEnv} is not set");
            return;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            Record(channel, e, "failed", 0, null, $"{channel.UrlEnv} does not hold an http(s) URL");
            return;
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !Loopback.Is(uri))
        {
            Record(channel, e, "failed", 0, null, $"{channel.UrlEnv} holds a plain http URL to another machine; use https (http is for loopback only)");
            return;
        }

        string? key = null;
        if (channel.SecretEnv is { } secretEnv && string.IsNullOrEmpty(key = _env(secretEnv)))
        {
            Record(channel, e, "skipped", 0, null, $"{secretEnv} is not set (a generic webhook's requests are signed with it)");
            return;
        }

        var body = NotificationPayloads.Body(channel.Kind, e);
        var attempts = 0;
        HttpStatusCode? last = null;
        try
        {
            var status = await _pipeline.ExecuteAsync(async token =>
            {
                attempts++;
                using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                request.Headers.Add(NotificationPayloads.EventHeader, e.Name);
                request.Headers.Add(NotificationPayloads.DeliveryHeader, e.Id);
                if (key is not null)
                {
                    request.Headers.Add(NotificationPayloads.SignatureHeader, NotificationPayloads.Signature(key, body));
                }

                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
                last = response.StatusCode;
                return response.StatusCode;
            }, _stop.Token);
            var ok = (int)status is >= 200 and < 300;
            // A 3xx is a failure here (redirects are not followed, above): say so, or the URL looks merely wrong.
            var redirect = (int)status is >= 300 and < 400 ? " (a redirect; redirects are not followed: set the URL it points to)" : "";
            Record(channel, e, ok ? "delivered" : "failed", attempts, (int)status, ok ? null : $"HTTP {(int)status}{redirect} after {Attempts(attempts)}");
        }
        catch (TimeoutRejectedException)
        {
            Record(channel, e, "failed", attempts, (int?)last, $"no answer in time after {Attempts(attempts)}");
        }
        catch (HttpRequestException ex)
        {
            // The exception's text may name the URL, whose path is the secret: only its kind is kept.
            Record(channel, e, "failed", attempts, (int?)last, $"request failed ({ex.HttpRequestError}) after {Attempts(attempts)}");
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            Record(channel, e, "failed", attempts, (int?)last, $"stopped when the command ended, after {Attempts(attempts)}");
        }
    }

    private static string Attempts(int n) => n == 1 ? "1 attempt" : $"{n} attempts";

    private void Record(NotifyChannel channel, NotificationEvent e, string status, int attempts, int? httpStatus, string? detail)
    {
        try
        {
            _state.RecordDelivery(new DeliveryRecord(0, "", e.Name, e.Lane, e.Environment, channel.Name, NotifyNames.Name(channel.Kind), status, attempts, httpStatus, detail));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A record that cannot be written must not take the command down with it; the delivery itself is done.
        }
    }

    /// <summary>One channel's queue and the loop that delivers from it, in order.</summary>
    private sealed class Worker
    {
        private const string NotSent = "not sent before the command ended";

        private readonly NotificationDispatcher _owner;
        private readonly Channel<NotificationEvent> _queue;

        public Worker(NotificationDispatcher owner, NotifyChannel channel)
        {
            _owner = owner;
            Channel = channel;
            _queue = System.Threading.Channels.Channel.CreateBounded<NotificationEvent>(new BoundedChannelOptions(owner._options.QueueCapacity) { SingleReader = true });
            Running = Task.Run(RunAsync);
        }

        public NotifyChannel Channel { get; }

        public Task Running { get; }

        public void Enqueue(NotificationEvent e)
        {
            if (!_queue.Writer.TryWrite(e))
            {
                _owner.Record(Channel, e, "dropped", 0, null, $"{_owner._options.QueueCapacity} events were waiting already");
            }
        }

        public void Complete() => _queue.Writer.TryComplete();

        private async Task RunAsync()
        {
            try
            {
                await foreach (var e in _queue.Reader.ReadAllAsync(_owner._stop.Token))
                {
                    if (_owner._stop.IsCancellationRequested)
                    {
                        _owner.Record(Channel, e, "dropped", 0, null, NotSent);
                        continue;
                    }

                    try
                    {
                        await _owner.DeliverAsync(Channel, e);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // One delivery's surprise must not end the channel's worker.
                        _owner.Record(Channel, e, "failed", 0, null, $"could not be sent ({ex.GetType().Name})");
                    }
                }
            }
            catch (OperationCanceledException)
            {
                while (_queue.Reader.TryRead(out var left))
                {
                    _owner.Record(Channel, left, "dropped", 0, null, NotSent);
                }
            }
        }
    }
}
