using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.Engine.Tests.Support;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Engine.Tests.Golden;

/// <summary>
/// The trails of the operations around the plan verbs, line by line: maintenance (on, off, status, and
/// a platform that disagrees with the record), build, gate, status and history, and a person stepping
/// into a rollout — what each says, how it ends, and what it audits.
/// </summary>
public sealed class OperationsTrailTests : IAsyncLifetime
{
    private readonly EngineHarness _h = new(setUp: p => p.RequestsPerSecond = 1000);
    private LoopbackService _web = null!;
    private Trail _trail = null!;

    public async Task InitializeAsync()
    {
        _web = await LoopbackService.StartAsync();
        _web.Answers["/healthz"] = (200, "ok", null);
        _h.Platform.BaseUrl = _web.Url;
        _trail = new Trail(_h.Dir);
    }

    public async Task DisposeAsync()
    {
        await _web.DisposeAsync();
        _h.Dispose();
    }

    [Fact]
    public async Task TheMaintenanceTrail_IsOnRecord()
    {
        _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        var maintenance = new MaintenanceOperation(_h.Workspace);
        var calls = 0;

        async Task Run(string title, Func<Task<MaintenanceResult>> run)
        {
            await Step(title, async () =>
            {
                var result = await run();
                _trail.Lines(result.Lines).Line($"-> ok={result.Ok}");
            });
            _trail.Lines(_h.Platform.Maintenance.Calls.Skip(calls).Select(c => $"platform: {c}"));
            calls = _h.Platform.Maintenance.Calls.Count;
        }

        await Run("enable, Retry-After 1 s", () => maintenance.EnableAsync("web", "staging", "migrating", 1, CancellationToken.None));
        await Run("enable again", () => maintenance.EnableAsync("web", "staging", null, 60, CancellationToken.None));
        await Run("status", () => maintenance.StatusAsync("web", "staging", CancellationToken.None));
        await Run("disable", () => maintenance.DisableAsync("web", "staging", CancellationToken.None));
        await Run("disable again", () => maintenance.DisableAsync("web", "staging", CancellationToken.None));
        await Run("status", () => maintenance.StatusAsync("web", "staging", CancellationToken.None));
        await Run("enable, Retry-After a day, the default message", () => maintenance.EnableAsync("web", "staging", null, 86400, CancellationToken.None));
        await Run("status when the platform no longer has it", () =>
        {
            _h.Platform.Maintenance.Enabled = false;
            return maintenance.StatusAsync("web", "staging", CancellationToken.None);
        });
        await Run("disable", () => maintenance.DisableAsync("web", "staging", CancellationToken.None));
        await Run("enable, Retry-After a day and a second", () => maintenance.EnableAsync("web", "staging", null, 86401, CancellationToken.None));
        _h.Platform.Maintenance.ApplyFails = "the proxy did not answer";
        await Run("enable, the platform fails to apply it", () => maintenance.EnableAsync("web", "staging", null, 60, CancellationToken.None));
        _h.Platform.Maintenance.ApplyFails = null;
        _h.Platform.Maintenance.Enabled = true;
        await Run("status when only the platform has it", () => maintenance.StatusAsync("web", "staging", CancellationToken.None));
        await Run("disable what only the platform has", () => maintenance.DisableAsync("web", "staging", CancellationToken.None));

        GoldenFile.Match("maintenance-trail.txt", _trail.Section("audit").Audit(_h.State).ToString());
    }

    [Fact]
    public async Task TheBuildGateStatusAndHistoryTrail_IsOnRecord()
    {
        var builds = new BuildOperation(_h.Workspace);
        var said = new List<string>();

        async Task Build(string title, string lane, string? tag)
        {
            said.Clear();
            await Step(title, async () =>
            {
                try
                {
                    var built = await builds.RunAsync(lane, tag, allowDirty: false, gcloud: false, retagReason: null, said.Add, CancellationToken.None);
                    _trail.Lines(said).Line($"-> {built.Lane} {built.Tag} {built.Image}");
                }
                catch (OperationException)
                {
                    _trail.Lines(said);
                    throw;
                }
            });
        }

        async Task Gate(string title, string? from)
        {
            await Step(title, async () =>
            {
                var report = await new GateOperation(_h.Workspace).RunAsync(from, null, "t1", s => _trail.Line($"said: {s}"), (g, t) => _trail.Line($"gate {g.From} -> {g.To} for {t}"), _ => { }, CancellationToken.None);
                _trail.Lines(report.Results.Select(r => $"{r.CheckId} {r.Status} {r.Reason}")).Line($"-> go={report.Go}; {_h.State.LatestGate("staging", "production", "t1")?.Go}");
            });
        }

        await Build("build web t5", "web", "t5");
        await Build("build web broken", "web", "broken");
        await Build("build web with no tag, outside a git work tree", "web", null);
        _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        await Gate("gate, web answers", null);
        _web.Answers["/healthz"] = (500, "down", null);
        await Gate("gate, web fails", null);
        await Gate("gate from production", "production");
        _h.PlatformReachable = false;
        await Gate("gate, the local agent is not running", "staging");
        _h.PlatformReachable = true;
        _h.Platform.Seed("web", "local://web@sha256:web-t1", "t1");
        _h.State.SetMaintenance(new MaintenanceRecord("staging", "web-staging", "web", "local", "since-then", "alice", "m", 300, null));
        await Step("status web staging", async () => Views(await new StatusOperation(_h.Workspace).RunAsync("web", "staging", CancellationToken.None)));
        await Step("status of production", async () => Views(await new StatusOperation(_h.Workspace).RunAsync(null, "production", CancellationToken.None)));
        await Step("history, the newest, no steps", () =>
        {
            var history = new AuditOperation(_h.Workspace).History(null, 1, steps: false);
            _trail.Lines(history.Entries.Select(e => $"{e.Record.Id} {e.Record.Action} {e.Record.Result} steps={e.Steps.Count}"));
            return Task.CompletedTask;
        });
        await Step("history of web, two, with steps", () =>
        {
            var history = new AuditOperation(_h.Workspace).History("web", 2, steps: true);
            _trail.Lines(history.Entries.Select(e => $"{e.Record.Id} {e.Record.Action} {e.Record.Result} steps={string.Join(" | ", e.Steps.Select(s => $"{s.Status} {s.Step}"))}"));
            return Task.CompletedTask;
        });

        GoldenFile.Match("build-gate-status-trail.txt", _trail.Section("audit").Audit(_h.State).ToString());
    }

    [Fact]
    public async Task APersonSteppingIntoARollout_IsOnRecord()
    {
        var stable = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        var control = new RolloutControlOperation(_h.Workspace);
        var run = new RolloutOperation(_h.Workspace).RunAsync(new RolloutStartRequest("web", "staging") { Tag = "t2" }, _h.Reporter, _ => { }, s => _trail.Line($"said: {s}"), r => r(_h.Reporter), CancellationToken.None);
        await _h.AdvanceUntilAsync(() => _h.State.LatestRollout("web", "staging") is { Stage: 5 }, run);
        // Another command on this machine, while this process drives the rollout.
        var other = new RolloutControlOperation(_h.Open(new StoreOwner(int.MaxValue, _ => true))) { AckTimeout = TimeSpan.FromSeconds(5) };

        await Step("status while it runs", async () => Status(await other.StatusAsync("web", "staging", CancellationToken.None)));
        await Step("pause from another command; the driver acts on it", async () => Control(await _h.RunAsync(other.ControlAsync("web", "staging", RolloutControl.Pause, "checking dashboards", _h.Reporter, CancellationToken.None))));
        await Step("the run ends paused", async () => _trail.Line($"-> {(await run)?.End}, exit {(await run)?.ExitCode}: {(await run)?.Reason}"));
        await Step("status while paused", async () => Status(await control.StatusAsync("web", "staging", CancellationToken.None)));
        await Step("pause again", async () => Control(await control.ControlAsync("web", "staging", RolloutControl.Pause, null, _h.Reporter, CancellationToken.None)));
        // As a process that claimed the rollout and stopped answering leaves it: running, its owner alive.
        _h.State.ClaimRollout(_h.State.LatestRollout("web", "staging")!.Id, "running", _ => true);
        await Step("abort, the driver never answers", async () => Control(await _h.RunAsync(other.ControlAsync("web", "staging", RolloutControl.Abort, "wrong build", _h.Reporter, CancellationToken.None))));
        await Step("resume while another process drives it", async () => _trail.Line($"-> {(await other.ResumeAsync("web", "staging", s => _trail.Line($"said: {s}"), r => r(_h.Reporter), CancellationToken.None)).End}"));
        _h.State.ClaimRollout(_h.State.LatestRollout("web", "staging")!.Id, "paused", _ => true);
        await Step("resume", async () =>
        {
            var outcome = await _h.RunAsync(control.ResumeAsync("web", "staging", s => _trail.Line($"said: {s}"), r => r(_h.Reporter), CancellationToken.None));
            _trail.Line($"-> {outcome.End}, exit {outcome.ExitCode}: {outcome.Reason}");
        });
        await Step("resume what has ended", async () => await control.ResumeAsync("web", "staging", _ => { }, r => r(_h.Reporter), CancellationToken.None));
        await Step("status when it has ended", async () => Status(await control.StatusAsync("web", "staging", CancellationToken.None)));
        await Step("status of api, which never had one", async () => Status(await control.StatusAsync("api", "staging", CancellationToken.None)));

        _trail.Line($"traffic: {PlanExecutor.FormatTraffic(_h.Platform.Traffic("web-staging"))} (stable was {stable})");
        _trail.Section("journal").Journal(_h.State, j => j.Action == "rollout");
        GoldenFile.Match("rollout-control-trail.txt", _trail.Section("audit").Audit(_h.State, a => a.Action is "rollout" or "rollout-stage").ToString().Replace($"pid {Environment.ProcessId}", "pid <PID>", StringComparison.Ordinal));
    }

    private void Views(IReadOnlyList<ServiceView> views) =>
        _trail.Lines(views.Select(v => $"{v.Service} {v.Lane}/{v.Env} {v.Platform} stable={v.StableRevision} latest={v.LatestReadyRevision} maintenance={v.MaintenanceSince ?? "-"} traffic={PlanExecutor.FormatTraffic(v.Traffic)}"));

    private void Status(RolloutStatusView view) =>
        _trail.Line($"#{view.Rollout.Id} {view.Rollout.Shown} at {view.Rollout.Stage}%: {view.Rollout.Stable} -> {view.Rollout.Canary}; traffic {PlanExecutor.FormatTraffic(view.Traffic)}; next: {view.Next ?? "-"}");

    private void Control(RolloutControlResult result) =>
        _trail.Line($"-> {result.Message}; done={result.Done}; {result.Rollout.Shown} at {result.Rollout.Stage}%; receipt {(result.Receipt is null ? "none" : "written")}");

    /// <summary>Runs one operation under a heading; a refusal is written with its exit code.</summary>
    private async Task Step(string title, Func<Task> run)
    {
        _trail.Section(title);
        try
        {
            await run();
        }
        catch (OperationException e)
        {
            _trail.Line($"-> refused, exit {e.ExitCode}: {e.Message}");
        }
    }
}
