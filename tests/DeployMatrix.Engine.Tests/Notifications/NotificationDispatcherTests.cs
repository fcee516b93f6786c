using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Notifications;
using DeployMatrix.Engine.Tests.Support;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Engine.Tests.Notifications;

/// <summary>
/// Deliveries to a real webhook receiver on loopback: the generic webhook's signed event, Slack's and Google Chat's
/// text, retries on 500, filters, unset variables, a receiver that never answers — and no secret in any body or record.
/// </summary>
public sealed class NotificationDispatcherTests : IAsyncLifetime
{
    private const string Key = "k3y-that-signs-every-body";
    private readonly TempDir _dir = new();
    private readonly Dictionary<string, string> _env = new(StringComparer.Ordinal);
    private NotifyReceiver _receiver = null!;
    private StateStore _state = null!;

    public async Task InitializeAsync()
    {
        _receiver = await NotifyReceiver.StartAsync();
        _state = StateStore.Open(Path.Combine(_dir.Path, "state.db"), TimeProvider.System);
        _env["HOOK_URL"] = _receiver.Url("hooks/deploy");
        _env["HOOK_KEY"] = Key;
        _env["SLACK_URL"] = _receiver.Url("services/T000/B000/slack-s3cr3t");
        _env["CHAT_URL"] = _receiver.Url("v1/spaces/AAA/messages?key=chat-s3cr3t&token=t0k3n");
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        _state.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Webhook_PostsTheEventAsJson_SignedWithHmacSha256OverTheRawBody()
    {
        await SendAsync([Webhook()], RolloutFailed());

        var request = Assert.Single(_receiver.Requests);
        Assert.Equal("/hooks/deploy", request.Path);
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("rollout-failed", request.Headers["X-DeployMatrix-Event"]);
        // Verified here with the framework's HMAC, not the code under test.
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(Key));
        Assert.Equal("sha256=" + Convert.ToHexStringLower(hmac.ComputeHash(request.Body)), request.Headers["X-DeployMatrix-Signature"]);
        var json = EventSchema.AssertValid(request.Body);
        Assert.Equal("deploymatrix.event.v1", json.GetProperty("schema").GetString());
        Assert.Equal("rollout-failed", json.GetProperty("event").GetString());
        Assert.Equal("api", json.GetProperty("lane").GetString());
        Assert.Equal("production", json.GetProperty("environment").GetString());
        Assert.Equal("2026-11-30T10:00:00.000Z", json.GetProperty("at").GetString());
        Assert.Equal("rollout #7 of api in production failed: stage 5% failed; rolled back to api-00001", json.GetProperty("text").GetString());
        Assert.Equal("api-00001", json.GetProperty("details").GetProperty("stable_revision").GetString());
        Assert.Equal(request.Headers["X-DeployMatrix-Delivery"], json.GetProperty("id").GetString());
        var record = Assert.Single(_state.Deliveries());
        Assert.Equal(("rollout-failed", "api", "production", "hook", "webhook", "delivered", 1, (int?)200), (record.Event, record.Lane, record.Env, record.Channel, record.Kind, record.Status, record.Attempts, record.HttpStatus));
    }

    [Fact]
    public async Task Webhook_ABodyChangedAfterSigning_NoLongerMatchesItsSignature()
    {
        await SendAsync([Webhook()], RolloutFailed());

        var request = Assert.Single(_receiver.Requests);
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(request.Body).Replace("production", "staging", StringComparison.Ordinal));
        Assert.NotEqual(request.Headers["X-DeployMatrix-Signature"], "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), tampered)));
    }

    [Fact]
    public async Task SlackAndGoogleChat_GetTheirTextMessage_SlackWithItsControlCharactersEscaped()
    {
        var e = RolloutFailed() with { Text = "canary <api-00002> & friends failed" };

        await SendAsync([Chat("slack", NotifyKind.Slack, "SLACK_URL"), Chat("chat", NotifyKind.GoogleChat, "CHAT_URL")], e);

        var bodies = _receiver.Requests.ToDictionary(r => r.Path, r => JsonDocument.Parse(r.Body).RootElement);
        var slack = bodies["/services/T000/B000/slack-s3cr3t"];
        Assert.Equal(["text"], slack.EnumerateObject().Select(p => p.Name));
        Assert.Equal("deploymatrix · rollout-failed · api · production: canary &lt;api-00002&gt; &amp; friends failed", slack.GetProperty("text").GetString());
        Assert.Equal("deploymatrix · rollout-failed · api · production: canary <api-00002> & friends failed", bodies["/v1/spaces/AAA/messages"].GetProperty("text").GetString());
        Assert.All(_receiver.Requests, r => Assert.False(r.Headers.ContainsKey("X-DeployMatrix-Signature")));
        Assert.Equal(["delivered", "delivered"], _state.Deliveries().Select(d => d.Status));
    }

    [Fact]
    public async Task AReceiverAnswering500_IsRetriedWithBackoff_UntilItAccepts()
    {
        _receiver.Statuses.Enqueue(500);
        _receiver.Statuses.Enqueue(503);

        await SendAsync([Webhook()], RolloutFailed());

        Assert.Equal(3, _receiver.Requests.Count);
        // A retry is the same event: a receiver can drop a repeat by its id.
        Assert.Single(_receiver.Requests.Select(r => r.Headers["X-DeployMatrix-Delivery"]).Distinct());
        var record = Assert.Single(_state.Deliveries());
        Assert.Equal(("delivered", 3, (int?)200), (record.Status, record.Attempts, record.HttpStatus));
    }

    [Fact]
    public async Task AReceiverThatKeepsFailing_IsTriedABoundedNumberOfTimes_AndTheFailureIsRecorded()
    {
        for (var i = 0; i < 10; i++)
        {
            _receiver.Statuses.Enqueue(500);
        }

        await SendAsync([Webhook()], RolloutFailed());

        Assert.Equal(3, _receiver.Requests.Count);
        var record = Assert.Single(_state.Deliveries());
        Assert.Equal(("failed", 3, (int?)500, "HTTP 500 after 3 attempts"), (record.Status, record.Attempts, record.HttpStatus, record.Detail));
    }

    [Fact]
    public async Task AClientError_IsNotRetried()
    {
        _receiver.Statuses.Enqueue(404);

        await SendAsync([Webhook()], RolloutFailed());

        Assert.Single(_receiver.Requests);
        var record = Assert.Single(_state.Deliveries());
        Assert.Equal(("failed", 1, (int?)404), (record.Status, record.Attempts, record.HttpStatus));
    }

    [Fact]
    public async Task ARedirect_IsNotFollowed_AndTheRecordSaysSo()
    {
        _receiver.Statuses.Enqueue(307);

        await SendAsync([Webhook()], RolloutFailed());

        Assert.Single(_receiver.Requests);
        var record = Assert.Single(_state.Deliveries());
        Assert.Equal(("failed", (int?)307), (record.Status, record.HttpStatus));
        Assert.Equal("HTTP 307 (a redirect; redirects are not followed: set the URL it points to) after 1 attempt", record.Detail);
    }

    [Fact]
    public async Task Filters_SendOnlyTheChannelsEvents_LanesAndEnvironments()
    {
        var channel = Chat("slack", NotifyKind.Slack, "SLACK_URL") with
        {
            Events = new HashSet<NotifyEvent> { NotifyEvent.RolloutFailed, NotifyEvent.GateNoGo },
            Lanes = ["api"],
            Environments = ["production"],
        };

        await SendAsync([channel],
            RolloutFailed(),
            RolloutFailed() with { Lane = "web" },
            RolloutFailed() with { Environment = "staging" },
            RolloutFailed() with { Kind = NotifyEvent.RolloutStarted },
            new NotificationEvent(NotifyEvent.GateNoGo, null, "production", "gate staging → production for tag t2: no-go") { At = DateTimeOffset.UnixEpoch });

        Assert.Equal(["rollout-failed", "gate-no-go"], _state.Deliveries().Reverse().Select(d => d.Event));
        Assert.Equal(2, _receiver.Requests.Count);
    }

    [Fact]
    public async Task AnUnsetVariable_SkipsTheDelivery_AndTheRecordNamesTheVariable()
    {
        _env.Remove("HOOK_KEY");

        await SendAsync([Webhook()], RolloutFailed());

        Assert.Empty(_receiver.Requests);
        var record = Assert.Single(_state.Deliveries());
        Assert.Equal(("skipped", 0), (record.Status, record.Attempts));
        Assert.Contains("HOOK_KEY is not set", record.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainHttpToAnotherMachine_IsRefused_WithoutSendingTheBody()
    {
        _env["HOOK_URL"] = "http://192.0.2.1/hooks/deploy";

        await SendAsync([Webhook()], RolloutFailed());

        var record = Assert.Single(_state.Deliveries());
        Assert.Equal(("failed", 0), (record.Status, record.Attempts));
        Assert.DoesNotContain("192.0.2.1", record.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHangingReceiver_IsBoundedByTheExitDeadline_AndTheStopIsRecorded()
    {
        _receiver.Hang = true;
        var dispatcher = Dispatcher([Webhook()], new NotifyOptions { AttemptTimeout = TimeSpan.FromSeconds(30), DeliveryDeadline = TimeSpan.FromSeconds(60), ExitDeadline = TimeSpan.FromMilliseconds(500) });
        var publish = Stopwatch.StartNew();
        dispatcher.Publish(RolloutFailed());
        dispatcher.Publish(RolloutFailed() with { Kind = NotifyEvent.RolledBack });
        publish.Stop();

        var drain = Stopwatch.StartNew();
        dispatcher.Dispose();
        drain.Stop();

        Assert.True(publish.Elapsed < TimeSpan.FromSeconds(1), $"publishing took {publish.Elapsed}");
        Assert.True(drain.Elapsed < TimeSpan.FromSeconds(5), $"the end of the command waited {drain.Elapsed}");
        var records = _state.Deliveries().Reverse().ToList();
        Assert.Equal([("rollout-failed", "failed"), ("rolled-back", "dropped")], records.Select(r => (r.Event, r.Status)));
        Assert.StartsWith("stopped when the command ended", records[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretsNeverAppear_InAnyBodyOrHeaderSent_OrInAnyRecord()
    {
        _receiver.Statuses.Enqueue(500);
        _receiver.Statuses.Enqueue(502);
        _env["OFF_URL"] = "http://192.0.2.1/services/T000/B000/unreachable-s3cr3t";

        await SendAsync([Webhook(), Chat("slack", NotifyKind.Slack, "SLACK_URL"), Chat("chat", NotifyKind.GoogleChat, "CHAT_URL"), Chat("off", NotifyKind.Slack, "OFF_URL")],
            RolloutFailed(), RolloutFailed() with { Kind = NotifyEvent.DeployFailed });

        var secrets = new[] { Key, "slack-s3cr3t", "chat-s3cr3t", "t0k3n", "hooks/deploy", "unreachable-s3cr3t" };
        var sent = _receiver.Requests.Select(r => Encoding.UTF8.GetString(r.Body) + "\n" + string.Join("\n", r.Headers.Select(h => $"{h.Key}: {h.Value}"))).ToList();
        var recorded = _state.Deliveries().Select(d => JsonSerializer.Serialize(d)).ToList();
        // Three reachable channels, two events each, and the retries of the 500 and 502.
        Assert.Equal(8, sent.Count);
        Assert.Equal(8, recorded.Count);
        foreach (var secret in secrets)
        {
            Assert.All(sent, s => Assert.DoesNotContain(secret, s, StringComparison.Ordinal));
            Assert.All(recorded, r => Assert.DoesNotContain(secret, r, StringComparison.Ordinal));
        }
    }

    private async Task SendAsync(IReadOnlyList<NotifyChannel> channels, params NotificationEvent[] events)
    {
        var dispatcher = Dispatcher(channels, Fast);
        foreach (var e in events)
        {
            dispatcher.Publish(e);
        }

        await dispatcher.DrainAsync(TimeSpan.FromSeconds(20));
        dispatcher.Dispose();
    }

    private static readonly NotifyOptions Fast = new() { Backoff = TimeSpan.FromMilliseconds(50), AttemptTimeout = TimeSpan.FromSeconds(5) };

    private NotificationDispatcher Dispatcher(IReadOnlyList<NotifyChannel> channels, NotifyOptions options) =>
        new(channels, _state, name => _env.GetValueOrDefault(name), TimeProvider.System, options);

    private static NotifyChannel Webhook() => new() { Name = "hook", Kind = NotifyKind.Webhook, UrlEnv = "HOOK_URL", SecretEnv = "HOOK_KEY" };

    private static NotifyChannel Chat(string name, NotifyKind kind, string urlEnv) => new() { Name = name, Kind = kind, UrlEnv = urlEnv };

    private static NotificationEvent RolloutFailed() =>
        new(NotifyEvent.RolloutFailed, "api", "production", "rollout #7 of api in production failed: stage 5% failed; rolled back to api-00001")
        {
            At = DateTimeOffset.Parse("2026-11-30T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            Actor = "tester",
            Details = new Dictionary<string, string> { ["rollout_id"] = "7", ["stable_revision"] = "api-00001", ["canary_revision"] = "api-00002" },
        };
}
