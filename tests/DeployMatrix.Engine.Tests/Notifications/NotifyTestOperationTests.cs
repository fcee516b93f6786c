using System.Security.Cryptography;
using System.Text;
using DeployMatrix.Core;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Notifications;

/// <summary>
/// <c>notify test</c> and <c>notify deliveries</c> through the operation, against a real receiver on loopback: a test
/// event reaches a channel whatever its filters, signed as any event, and each delivery is recorded and listed.
/// </summary>
public sealed class NotifyTestOperationTests : IAsyncLifetime
{
    private const string Key = "k3y";
    private NotifyReceiver _receiver = null!;
    private EngineHarness _h = null!;

    public async Task InitializeAsync()
    {
        _receiver = await NotifyReceiver.StartAsync();
        // hook only wants gate verdicts about web; chat's URL variable is not set.
        var matrix = EngineHarness.Matrix + """

            notify:
              - { name: hook, kind: webhook, url-env: HOOK_URL, secret-env: HOOK_KEY, events: [gate-go], lanes: [web] }
              - { name: chat, kind: google-chat, url-env: CHAT_URL }
            """;
        var env = new Dictionary<string, string> { ["HOOK_URL"] = _receiver.Url("hooks/s3cr3t"), ["HOOK_KEY"] = Key };
        _h = new EngineHarness(matrix, env: name => env.GetValueOrDefault(name));
    }

    public async Task DisposeAsync()
    {
        _h.Dispose();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task ATestEvent_ReachesAChannelWhateverItsFilters_Signed_AndIsRecorded()
    {
        var delivered = Assert.Single(await new NotifyOperation(_h.Workspace).TestAsync("hook"));

        Assert.Equal(("test", "hook", "webhook", "delivered", 1, 200), (delivered.Event, delivered.Channel, delivered.Kind, delivered.Status, delivered.Attempts, delivered.HttpStatus));
        var request = Assert.Single(_receiver.Requests);
        Assert.Equal("test", request.Headers["X-DeployMatrix-Event"]);
        // Verified with the framework's HMAC, not the code under test.
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), request.Body)), request.Headers["X-DeployMatrix-Signature"]);
        var body = EventSchema.AssertValid(request.Body);
        Assert.Equal("test", body.GetProperty("event").GetString());
        Assert.StartsWith("a test from deploymatrix by ", body.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(delivered.Id, Assert.Single(new NotifyOperation(_h.Workspace).Deliveries(10, "hook")).Id);
    }

    [Fact]
    public async Task EveryChannel_IsTestedByDefault_AndOneWithoutItsUrl_IsSkipped_NamingTheVariable()
    {
        var deliveries = await new NotifyOperation(_h.Workspace).TestAsync(null);

        Assert.Equal([("hook", "delivered", null), ("chat", "skipped", "CHAT_URL is not set")], deliveries.Select(d => (d.Channel, d.Status, d.Detail)));
        Assert.Single(_receiver.Requests);
        Assert.Equal(["chat"], new NotifyOperation(_h.Workspace).Deliveries(10, "chat").Select(d => d.Channel));
        Assert.Equal(2, new NotifyOperation(_h.Workspace).Deliveries(10, null).Count);
        Assert.Single(new NotifyOperation(_h.Workspace).Deliveries(1, null));
    }

    [Theory]
    [InlineData("hok", "no channel 'hok' in the matrix's notify: section (did you mean 'hook'?)")]
    public async Task AnUnknownChannel_IsBadInput_NothingSent(string channel, string message)
    {
        var refused = await Assert.ThrowsAsync<OperationException>(() => new NotifyOperation(_h.Workspace).TestAsync(channel));
        var listed = Assert.Throws<OperationException>(() => new NotifyOperation(_h.Workspace).Deliveries(10, channel));

        Assert.Equal((ExitCodes.BadInput, message), (refused.ExitCode, refused.Message));
        Assert.Equal(message, listed.Message);
        Assert.Empty(_receiver.Requests);
        Assert.Empty(_h.State.Deliveries());
    }

    [Fact]
    public void AChannelRemovedFromTheMatrix_StillHasItsDeliveriesListed()
    {
        _h.State.RecordDelivery(new State.DeliveryRecord(0, "", "rollout-failed", "web", "production", "old-hook", "webhook", "delivered", 1, 200, null));

        Assert.Equal(["old-hook"], new NotifyOperation(_h.Workspace).Deliveries(10, "old-hook").Select(d => d.Channel));
    }

    [Fact]
    public async Task AMatrixWithoutNotify_SaysHowToAddOne()
    {
        using var bare = new EngineHarness();

        var refused = await Assert.ThrowsAsync<OperationException>(() => new NotifyOperation(bare.Workspace).TestAsync(null));

        Assert.Equal((ExitCodes.BadInput, "the matrix has no notify: section; add a channel (see the README's Notifications) and run notify test again"), (refused.ExitCode, refused.Message));
        Assert.Empty(new NotifyOperation(bare.Workspace).Deliveries(50, null));
    }
}
