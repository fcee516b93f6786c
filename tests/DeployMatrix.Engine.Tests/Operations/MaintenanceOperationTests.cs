using DeployMatrix.Core;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Operations;

/// <summary>Maintenance through the engine: the platform's part, the store's record, and every traffic change refused meanwhile.</summary>
public sealed class MaintenanceOperationTests : IDisposable
{
    private readonly EngineHarness _h = new(setUp: p => p.RequestsPerSecond = 1000);
    private readonly string _serving;

    public MaintenanceOperationTests() => _serving = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");

    private MaintenanceOperation Maintenance => new(_h.Workspace);

    [Fact]
    public async Task Enable_RecordsIt_HasThePlatformServe503_AndSaysWhereTheTokenIs_NeverWhatItIs()
    {
        var on = await Maintenance.EnableAsync("web", "staging", "migrating", 60, CancellationToken.None);
        var again = await Maintenance.EnableAsync("web", "staging", null, 60, CancellationToken.None);
        var status = await Maintenance.StatusAsync("web", "staging", CancellationToken.None);

        Assert.Equal(["enable web-staging migrating 60", "apply web-staging"], _h.Platform.Maintenance.Calls);
        Assert.Equal("web-staging (staging, local) is in maintenance: requests get 503 (Retry-After 60), /healthz and /readyz still answer", on.Lines[0]);
        Assert.Equal("bypass token: in the test's vault; it is never printed", on.Lines[1]);
        Assert.Equal("bypass cookie (900 s): send the token as X-DeployMatrix-Bypass-Token to http://127.0.0.1:1/__deploymatrix/bypass", on.Lines[2]);
        Assert.StartsWith("web-staging (staging, local) is already in maintenance since ", again.Lines[0], StringComparison.Ordinal);
        Assert.Contains("in maintenance since 2026-11-30T10:00:00.0000000+00:00 by tester — \"migrating\" (Retry-After 60)", status.Lines[0], StringComparison.Ordinal);
        var record = _h.State.FindMaintenance("staging", "web-staging")!;
        Assert.Equal(("snapshot-1", "local", "web"), (record.PreviousTraffic, record.Platform, record.Lane));
        Assert.Single(_h.State.AuditRecords(), r => r.Action == "maintenance-enable");
    }

    [Fact]
    public async Task WhileInMaintenance_TrafficChangesAreRefused_MigrationsAreNot()
    {
        await Maintenance.EnableAsync("web", "staging", null, MaintenanceOperation.DefaultRetryAfter, CancellationToken.None);
        var options = new ChangeOptions();
        _h.Platform.Seed("api-staging", "local://api@sha256:api-t1", "t1");
        await Maintenance.EnableAsync("api", "staging", null, 300, CancellationToken.None);

        var refusals = new[]
        {
            await Assert.ThrowsAsync<OperationException>(() => new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t2", false, options, _h.Reporter, CancellationToken.None)),
            await Assert.ThrowsAsync<OperationException>(() => new TrafficOperation(_h.Workspace).RunAsync("web", "staging", [(_serving, 100)], options, _h.Reporter, CancellationToken.None)),
            await Assert.ThrowsAsync<OperationException>(() => new RollbackOperation(_h.Workspace).RunAsync("web", "staging", null, options, _h.Reporter, CancellationToken.None)),
            await Assert.ThrowsAsync<OperationException>(() => new RolloutOperation(_h.Workspace).RunAsync(new RolloutStartRequest("web", "staging"), _h.Reporter, _ => { }, _ => { }, run => run(_h.Reporter), CancellationToken.None)),
            await Assert.ThrowsAsync<OperationException>(() => new DrillOperation(_h.Workspace).RunAsync("web", "staging", [5], TimeSpan.Zero, null, _ => { }, CancellationToken.None)),
        };
        var migrated = await new MigrateOperation(_h.Workspace).RunAsync("api", "staging", null, options, _h.Reporter, CancellationToken.None);

        Assert.Equal(
            ["deploy would be undone", "set-traffic would be undone", "rollback would be undone", "a rollout would be undone", "a drill would be undone"],
            refusals.Select(r => r.Message.Split("; ")[1].Split(" when it ends")[0]));
        Assert.All(refusals, r => Assert.Equal(ExitCodes.Failed, r.ExitCode));
        Assert.All(refusals, r => Assert.EndsWith("run 'deploymatrix maintenance disable web --env staging' first", r.Message, StringComparison.Ordinal));
        Assert.DoesNotContain(_h.Platform.Calls, c => c.StartsWith("SetTraffic", StringComparison.Ordinal) || c.StartsWith("Deploy", StringComparison.Ordinal));
        Assert.True(migrated.Ok, migrated.Error);
    }

    [Fact]
    public async Task Disable_RestoresWhatThePlatformKept_AndClearsTheRecord()
    {
        await Maintenance.EnableAsync("web", "staging", null, 300, CancellationToken.None);

        var off = await Maintenance.DisableAsync("web", "staging", CancellationToken.None);
        var again = await Maintenance.DisableAsync("web", "staging", CancellationToken.None);

        Assert.Equal(["enable web-staging web-staging is down for maintenance; please try again later. 300", "apply web-staging", "disable web-staging snapshot-1", "apply web-staging"], _h.Platform.Maintenance.Calls);
        Assert.StartsWith("web-staging (staging, local) serves requests again (maintenance since ", off.Lines[0], StringComparison.Ordinal);
        Assert.Equal("web-staging (staging, local) is not in maintenance; nothing changed", again.Lines[0]);
        Assert.Null(_h.State.FindMaintenance("staging", "web-staging"));
    }

    [Fact]
    public async Task APlatformThatDisagreesWithTheRecord_IsReported_AndBadInputIsRefused()
    {
        _h.Platform.Maintenance.Enabled = true;

        var status = await Maintenance.StatusAsync("web", "staging", CancellationToken.None);
        var range = await Assert.ThrowsAsync<OperationException>(() => Maintenance.EnableAsync("web", "staging", null, 0, CancellationToken.None));

        Assert.False(status.Ok);
        Assert.Contains("maintenance is on in the service's template, but this folder's state says off", status.Lines[0], StringComparison.Ordinal);
        Assert.Equal((ExitCodes.BadInput, "--retry-after 0 is out of range; give seconds from 1 to 86400"), (range.ExitCode, range.Message));
    }

    public void Dispose() => _h.Dispose();
}
