using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Tests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Engine.Tests.Golden;

/// <summary>
/// The plan verbs' whole trail on record, line by line: what deploy, migrate, traffic and rollback say
/// as they run, how each ends (exit code, error), every journal row, every audit record and every
/// receipt — through success, a failed migration, a job left on another image, an image that does not
/// resolve, a failed smoke check, the promotion gate and its override, and an interruption.
/// </summary>
public sealed class ChangeTrailTests : IAsyncLifetime
{
    private readonly EngineHarness _h = new();
    private LoopbackService _service = null!;
    private Trail _trail = null!;

    public async Task InitializeAsync()
    {
        _service = await LoopbackService.StartAsync();
        _service.Answers["/healthz"] = (200, "ok", null);
        _h.Platform.BaseUrl = _service.Url;
        _trail = new Trail(_h.Dir);
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _h.Dispose();
    }

    [Fact]
    public async Task ThePlanVerbsTrail_IsOnRecord()
    {
        _h.Platform.Seed("api-staging", "local://api@sha256:api-t1", "t1");
        var webStable = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        var none = new ChangeOptions();

        await Step("deploy api staging t2", () => new DeployOperation(_h.Workspace).RunAsync("api", "staging", "t2", false, none, _h.Reporter, CancellationToken.None));
        await Step("migrate api staging (the service's image again)", () => new MigrateOperation(_h.Workspace).RunAsync("api", "staging", null, none, _h.Reporter, CancellationToken.None));
        _h.Platform.FailingJobs["api-migrate-staging"] = 3;
        await Step("migrate api staging t3, the job exits 3", () => new MigrateOperation(_h.Workspace).RunAsync("api", "staging", "t3", none, _h.Reporter, CancellationToken.None));
        _h.Platform.FailingJobs["api-migrate-staging"] = 256;
        await Step("migrate api staging t3, the job ends with a code no process exits with", () => new MigrateOperation(_h.Workspace).RunAsync("api", "staging", "t3", none, _h.Reporter, CancellationToken.None));
        _h.Platform.FailingJobs["api-migrate-staging"] = 0;
        await Step("migrate api staging t3, the job fails yet says exit 0", () => new MigrateOperation(_h.Workspace).RunAsync("api", "staging", "t3", none, _h.Reporter, CancellationToken.None));
        _h.Platform.FailingJobs.Clear();
        await Step("migrate api staging t1, which the service does not run", () => new MigrateOperation(_h.Workspace).RunAsync("api", "staging", "t1", none, _h.Reporter, CancellationToken.None));
        _h.Platform.StuckJobs.Add("api-migrate-staging");
        await Step("deploy api staging t2, the job keeps its image (t3)", () => new DeployOperation(_h.Workspace).RunAsync("api", "staging", "t2", false, none, _h.Reporter, CancellationToken.None));
        _h.Platform.StuckJobs.Clear();
        _service.Answers["/healthz"] = (503, "starting", null);
        await Step("deploy api staging t3, the smoke check fails", () => new DeployOperation(_h.Workspace).RunAsync("api", "staging", "t3", false, none, _h.Reporter, CancellationToken.None));
        _service.Answers["/healthz"] = (200, "ok", null);
        using (var signal = new CancellationTokenSource())
        {
            var stopping = new StopAt("smoke", signal, _h.Reporter);
            await Step("deploy api staging t3, stopped by a signal at the smoke check", () => new DeployOperation(_h.Workspace).RunAsync("api", "staging", "t3", false, none, stopping, signal.Token));
        }

        await Step("deploy web staging t9, an image that does not resolve", () => new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t9", false, none, _h.Reporter, CancellationToken.None));
        await Step("deploy web staging t2 with no traffic", () => new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t2", true, none, _h.Reporter, CancellationToken.None));
        await Step("traffic web staging 90/10", () => new TrafficOperation(_h.Workspace).RunAsync("web", "staging", [(webStable, 90), ("LATEST", 10)], none, _h.Reporter, CancellationToken.None));
        await Step("rollback web staging", () => new RollbackOperation(_h.Workspace).RunAsync("web", "staging", null, none, _h.Reporter, CancellationToken.None));
        await Step("traffic web staging all to the latest", () => new TrafficOperation(_h.Workspace).RunAsync("web", "staging", [("LATEST", 100)], none, _h.Reporter, CancellationToken.None));
        await Step("traffic web staging 50/50 (the latest became stable)", () => new TrafficOperation(_h.Workspace).RunAsync("web", "staging", [(webStable, 50), ("LATEST", 50)], none, _h.Reporter, CancellationToken.None));
        await Step("rollback web staging to the stable revision", () => new RollbackOperation(_h.Workspace).RunAsync("web", "staging", null, none, _h.Reporter, CancellationToken.None));
        await Step("rollback web staging again, nothing to roll back", () => new RollbackOperation(_h.Workspace).RunAsync("web", "staging", null, none, _h.Reporter, CancellationToken.None));
        await Step("rollback web staging to a revision that does not exist", () => new RollbackOperation(_h.Workspace).RunAsync("web", "staging", "web-staging-00099-abc", none, _h.Reporter, CancellationToken.None));
        _h.Platform.Runs["local://web@sha256:web-t3"] = "local://web@sha256:web-t1";
        await Step("deploy web staging t3, the revision runs another image", () => new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t3", false, none, _h.Reporter, CancellationToken.None));
        _h.Platform.Seed("web", "local://web@sha256:web-t1", "t1");
        await Step("deploy web production t2, never gated", () => new DeployOperation(_h.Workspace).RunAsync("web", "production", "t2", false, none, _h.Reporter, CancellationToken.None));
        await Step("deploy web production t2 on an override", () => new DeployOperation(_h.Workspace).RunAsync("web", "production", "t2", false, new ChangeOptions { GateOverride = "hotfix INC-7" }, _h.Reporter, CancellationToken.None));
        _h.State.RecordGate("staging", "production", "t3", go: false, "evidence/1");
        await Step("deploy web production t3, no-go", () => new DeployOperation(_h.Workspace).RunAsync("web", "production", "t3", false, none, _h.Reporter, CancellationToken.None));
        await Step("deploy old staging with a change ticket", () => new DeployOperation(_h.Workspace).RunAsync("old", "staging", "t1", false, new ChangeOptions { ChangeTicket = "CHG-1" }, _h.Reporter, CancellationToken.None));

        _trail.Section("journal").Journal(_h.State).Section("audit").Audit(_h.State);
        foreach (var receipt in _h.State.AuditRecords().Select(a => a.Receipt).OfType<string>())
        {
            _trail.Section($"receipt {Path.GetFileName(receipt)}").File(receipt);
        }

        GoldenFile.Match("change-trail.txt", _trail.ToString());
    }

    [Fact]
    public void Traffic_IsWrittenAsTheSeedsReportsWriteIt_OnlyRevisionsThatServe()
    {
        Assert.Equal("a=90,b=10", PlanExecutor.FormatTraffic([new("a", 90), new("b", 10), new("c", 0)]));
        Assert.Equal("none", PlanExecutor.FormatTraffic([new("c", 0)]));
    }

    /// <summary>Runs one operation and writes what it said and how it ended: its exit code and error, or the refusal it threw.</summary>
    private async Task Step(string title, Func<Task<ExecutionResult>> run)
    {
        _h.Reporter.Lines.Clear();
        _trail.Section(title);
        try
        {
            var result = await run();
            _trail.Lines(_h.Reporter.Lines).Line($"-> exit {result.ExitCode}{(result.Error is null ? "" : $": {result.Error}")}; receipt {(result.ReceiptPath is null ? "none" : Path.GetFileName(result.ReceiptPath))}");
        }
        catch (OperationException e)
        {
            _trail.Lines(_h.Reporter.Lines).Line($"-> refused, exit {e.ExitCode}: {e.Message}");
        }
        catch (OperationCanceledException)
        {
            _trail.Lines(_h.Reporter.Lines).Line("-> stopped by a signal");
        }
    }

    /// <summary>Reports on, and signals a stop as the step of the given kind starts, as Ctrl-C at that moment would.</summary>
    private sealed class StopAt(string kind, CancellationTokenSource signal, IExecutionReporter inner) : IExecutionReporter
    {
        public void StepStarted(int index, int count, string description)
        {
            inner.StepStarted(index, count, description);
            if (description.Contains(kind, StringComparison.Ordinal))
            {
                signal.Cancel();
            }
        }

        public void StepFinished(StepOutcome outcome) => inner.StepFinished(outcome);
    }
}
