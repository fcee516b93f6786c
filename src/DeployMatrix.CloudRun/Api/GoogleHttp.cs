using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using DeployMatrix.Engine.Platform;
using Polly;
using Polly.Retry;

namespace DeployMatrix.CloudRun.Api;

/// <summary>
/// JSON over HTTPS to Google's APIs: a bearer token on every call, retries with jittered exponential
/// backoff on 429 and 5xx (never on other 4xx), and Google's error body turned into one line.
/// </summary>
public sealed class GoogleHttp
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly ITokenSource _tokens;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<HttpResponseMessage> _readRetries;
    private readonly ResiliencePipeline<HttpResponseMessage> _writeRetries;

    /// <param name="firstRetryDelay">The default is 500 ms, doubling (with jitter) for each of up to 5 retries; tests pass milliseconds.</param>
    /// <param name="time">The clock a <c>Retry-After</c> date is read against; the system's by default.</param>
    public GoogleHttp(HttpClient http, ITokenSource tokens, TimeSpan? firstRetryDelay = null, TimeProvider? time = null)
    {
        _http = http;
        _tokens = tokens;
        _time = time ?? TimeProvider.System;
        var delay = firstRetryDelay ?? TimeSpan.FromMilliseconds(500);
        // Mutations are retried only where Google says the request was not applied: 429 (quota) and 503
        // (unavailable). Reads are retried on any 5xx as well.
        // A write whose connection broke may have been applied (a job run, an IAM policy), so only reads
        // are retried on a broken connection.
        _readRetries = Pipeline(delay, s => (int)s >= 500 || s == HttpStatusCode.TooManyRequests, retryBrokenConnections: true);
        _writeRetries = Pipeline(delay, s => s is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable, retryBrokenConnections: false);
    }

    public Task<T> GetAsync<T>(Uri url, CancellationToken ct) => SendAsync<T>(HttpMethod.Get, url, null, ct);

    /// <summary>A read that answers null when Google says the resource does not exist (404).</summary>
    public async Task<T?> GetOrNullAsync<T>(Uri url, CancellationToken ct)
        where T : class
    {
        using var response = await SendRawAsync(HttpMethod.Get, url, null, ct);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync<T>(HttpMethod.Get, url, response, ct);
    }

    public async Task<T> SendAsync<T>(HttpMethod method, Uri url, object? body, CancellationToken ct)
    {
        using var response = await SendRawAsync(method, url, body, ct);
        return await ReadAsync<T>(method, url, response, ct);
    }

    /// <summary>
    /// One GET of media (a Cloud Storage object's bytes) with the bearer token and an HTTP <c>Range</c>,
    /// not retried: its caller polls anyway (a build's log), so the next poll is the retry.
    /// </summary>
    /// <returns>The status and the body's bytes; for an error status, Google's error as one line instead of the body.</returns>
    /// <exception cref="PlatformException">No answer: a broken connection or the client's own timeout.</exception>
    public async Task<MediaAnswer> GetMediaOnceAsync(Uri url, RangeHeaderValue? range, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await _tokens.GetAccessTokenAsync(ct));
            request.Headers.Range = range;
            using var response = await _http.SendAsync(request, ct);
            return response.IsSuccessStatusCode
                ? new MediaAnswer(response.StatusCode, await response.Content.ReadAsByteArrayAsync(ct), null)
                : new MediaAnswer(response.StatusCode, [], (await ErrorAsync(HttpMethod.Get, url, response, ct)).Message);
        }
        catch (HttpRequestException e)
        {
            throw new PlatformException($"{url.Host} did not answer: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new PlatformException($"{url.Host} did not answer GET {url.AbsolutePath} within {_http.Timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// One call, not retried: for a caller that polls anyway (a build's log read through Cloud Logging), whose
    /// next poll is the retry and whose read is bounded in time, which a retry's backoff would outlast.
    /// </summary>
    /// <exception cref="GoogleApiException">Google answered with an error (429 and 5xx included).</exception>
    /// <exception cref="PlatformException">No answer: a broken connection or the client's own timeout.</exception>
    public async Task<T> SendOnceAsync<T>(HttpMethod method, Uri url, object? body, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await SendOneAsync(method, url, body, ct);
        }
        catch (HttpRequestException e)
        {
            throw new PlatformException($"{url.Host} did not answer: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new PlatformException($"{url.Host} did not answer {method} {url.AbsolutePath} within {_http.Timeout.TotalSeconds:0} s");
        }

        using (response)
        {
            return await ReadAsync<T>(method, url, response, ct);
        }
    }

    private async Task<HttpResponseMessage> SendOneAsync(HttpMethod method, Uri url, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await _tokens.GetAccessTokenAsync(ct));
        request.Content = body switch
        {
            null => null,
            _ => JsonContent.Create(body, body.GetType(), options: Json),
        };

        return await _http.SendAsync(request, ct);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, Uri url, object? body, CancellationToken ct)
    {
        try
        {
            return await (method == HttpMethod.Get ? _readRetries : _writeRetries).ExecuteAsync(token => new ValueTask<HttpResponseMessage>(SendOneAsync(method, url, body, token)), ct);
        }
        catch (HttpRequestException e)
        {
            throw new PlatformException($"{url.Host} did not answer: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            // HttpClient's own timeout, not the command being cancelled.
            throw new PlatformException($"{url.Host} did not answer {method} {url.AbsolutePath} within {_http.Timeout.TotalSeconds:0} s");
        }
    }

    /// <exception cref="PlatformException">An error answer, or a success that is not the JSON Google's API gives (a proxy's page, a wrong URL).</exception>
    private static async Task<T> ReadAsync<T>(HttpMethod method, Uri url, HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(method, url, response, ct);
        }

        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, ct)
                ?? throw new PlatformException($"{url.Host} answered {method} {url.AbsolutePath} with an empty body, not the JSON Google's API gives");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException)
        {
            var type = response.Content.Headers.ContentType?.MediaType ?? "no content type";
            throw new PlatformException($"{url.Host} answered {method} {url.AbsolutePath} with {type}, not the JSON Google's API gives; is {url.GetLeftPart(UriPartial.Authority)} Google's API (check {CloudRunConnection.EndpointVariable})?");
        }
    }

    private ResiliencePipeline<HttpResponseMessage> Pipeline(TimeSpan firstDelay, Func<HttpStatusCode, bool> retryable, bool retryBrokenConnections) =>
        new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = 5,
                Delay = firstDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>(_ => retryBrokenConnections)
                    .HandleResult(r => retryable(r.StatusCode)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, _time.GetUtcNow())),
            })
            .Build();

    /// <summary>Google's error body (<c>{"error": {"code", "message", "status"}}</c>) as one line naming the call.</summary>
    private static async Task<PlatformException> ErrorAsync(HttpMethod method, Uri url, HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        string message;
        try
        {
            using var document = JsonDocument.Parse(text);
            var error = document.RootElement.GetProperty("error");
            // Cloud Storage's JSON API errors carry no status name, only a code and a message.
            var status = error.TryGetProperty("status", out var name) ? $"{name.GetString()}: " : "";
            message = $"{status}{error.GetProperty("message").GetString()}";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            message = text.Length > 200 ? text[..200] + "…" : text;
        }

        var hint = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => " (the credentials were refused; check GOOGLE_APPLICATION_CREDENTIALS or run: gcloud auth application-default login)",
            HttpStatusCode.Forbidden => " (the account lacks a role; see README, Deploying to Cloud Run)",
            _ => "",
        };
        return new GoogleApiException($"{method} {url.AbsolutePath} → {(int)response.StatusCode} {message.ReplaceLineEndings(" ")}{hint}", response.StatusCode);
    }

    /// <summary>
    /// Optimistic concurrency, as Google's APIs do it: <paramref name="readModifyWrite"/> reads a resource,
    /// changes it and writes it back with the etag it was read with; a 409 (the resource changed in
    /// between: ABORTED, or IAM's concurrent policy change) makes it run again on a fresh read, up to
    /// <paramref name="attempts"/> times, then the last refusal is thrown.
    /// </summary>
    public static async Task<T> ReadModifyWriteAsync<T>(Func<Task<T>> readModifyWrite, int attempts = 3)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await readModifyWrite();
            }
            catch (GoogleApiException e) when (e.Status == HttpStatusCode.Conflict && attempt < attempts)
            {
                // Stale: made again on what the resource is now.
            }
        }
    }

    /// <summary>
    /// How long to wait before the next retry: what the answer's <c>Retry-After</c> asks
    /// (RFC 9110 §10.2.3, seconds or a date; at most 60 s), else null for the pipeline's own backoff.
    /// </summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage? response, DateTimeOffset now)
    {
        var asked = response?.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => (TimeSpan?)null,
        };
        return asked is null ? null : TimeSpan.FromTicks(Math.Clamp(asked.Value.Ticks, 0, TimeSpan.FromSeconds(60).Ticks));
    }

}

/// <summary>Google answered with an error; <see cref="Status"/> is its HTTP status (409 is a concurrent change: ABORTED or ALREADY_EXISTS).</summary>
public sealed class GoogleApiException(string message, HttpStatusCode status) : PlatformException(message)
{
    public HttpStatusCode Status { get; } = status;
}

/// <summary>An answer to a media read: its status, its bytes (empty for an error), and for an error status Google's error as one line.</summary>
public sealed record MediaAnswer(HttpStatusCode Status, byte[] Body, string? Error);
