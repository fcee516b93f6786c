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
public sealed class GoogleHttp(HttpClient http, ITokenSource tokens)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    // Mutations are retried only where Google says the request was not applied: 429 (quota) and 503
    // (unavailable). Reads are retried on any 5xx as well.
    private static readonly ResiliencePipeline<HttpResponseMessage> ReadRetries = Pipeline(s => (int)s >= 500 || s == HttpStatusCode.TooManyRequests);
    private static readonly ResiliencePipeline<HttpResponseMessage> WriteRetries = Pipeline(s => s is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable);

    /// <summary>How long retries may take in total; tests shorten the first delay.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public Task<T> GetAsync<T>(Uri url, CancellationToken ct) => SendAsync<T>(HttpMethod.Get, url, null, ct);

    public async Task<T> SendAsync<T>(HttpMethod method, Uri url, object? body, CancellationToken ct)
    {
        var pipeline = method == HttpMethod.Get ? ReadRetries : WriteRetries;
        var context = ResilienceContextPool.Shared.Get(ct);
        context.Properties.Set(FirstDelayKey, FirstRetryDelay);
        try
        {
            using var response = await pipeline.ExecuteAsync(async c =>
            {
                using var request = new HttpRequestMessage(method, url);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetAccessTokenAsync(c.CancellationToken));
                if (body is not null)
                {
                    request.Content = JsonContent.Create(body, body.GetType(), options: Json);
                }

                return await http.SendAsync(request, c.CancellationToken);
            }, context);
            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorAsync(method, url, response, ct);
            }

            return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
        }
        catch (HttpRequestException e)
        {
            throw new PlatformException($"{url.Host} did not answer: {e.Message}");
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static readonly ResiliencePropertyKey<TimeSpan> FirstDelayKey = new("first-delay");

    private static ResiliencePipeline<HttpResponseMessage> Pipeline(Func<HttpStatusCode, bool> retryable) =>
        new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = 5,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                    args.Context.Properties.GetValue(FirstDelayKey, TimeSpan.FromMilliseconds(500)) * Math.Pow(2, args.AttemptNumber) * (0.5 + Random.Shared.NextDouble())),
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .HandleResult(r => retryable(r.StatusCode)),
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
            message = $"{error.GetProperty("status").GetString()}: {error.GetProperty("message").GetString()}";
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
        return new PlatformException($"{method} {url.AbsolutePath} → {(int)response.StatusCode} {message.ReplaceLineEndings(" ")}{hint}");
    }
}
