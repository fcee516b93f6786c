using System.Text.Json;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Tests.Support;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Tests.Recording;

/// <summary>One recorder: journal, audit chain, receipts and rows written together, and the journal read back.</summary>
public sealed class RecorderTests : IDisposable
{
    private readonly EngineHarness _h = new();

    private Recorder Recorder => _h.Workspace.Recorder;

    [Fact]
    public void AnOperation_JournalsItsStartStepsAndEnd_UnderOneId_AndItsEndNamesItsAuditRecord()
    {
        var log = Recorder.Begin("deploy", "web", "staging", "tag t1");
        log.Step("deploy a revision", "started", null);
        log.Step("deploy a revision", "succeeded", "revision web-00002");
        var audit = log.End("succeeded", new Dictionary<string, string?> { ["tag"] = "t1" }, "succeeded", detail: "all good");

        var rows = _h.State.OperationOf(audit.Id);
        Assert.Equal([log.Id, log.Id, log.Id, log.Id], rows.Select(r => r.Operation));
        Assert.Equal(["started", "started", "succeeded", "succeeded"], rows.Select(r => r.Status));
        Assert.Equal([null, "deploy a revision", "deploy a revision", null], rows.Select(r => r.Step));
        Assert.Equal(Environment.ProcessId, rows[0].Pid);
        Assert.Equal("tag t1", rows[0].Detail);
        Assert.Equal(("all good", (long?)audit.Id), (rows[^1].Detail, rows[^1].AuditId));
        Assert.True(log.Ended);
        Assert.Equal(("tester", "deploy", "web", "staging", "succeeded"), (audit.Actor, audit.Action, audit.Lane, audit.Env, audit.Result));
        Assert.Empty(_h.State.UnfinishedOperations());
    }

    [Fact]
    public void AnOperationWhoseProcessDied_IsEndedByTheNextOfItsKind_WithAnAuditRecordKeepingItsSteps()
    {
        // A deploy from a process that is gone (as a kill -9 leaves it): begun, one step done, one under way.
        using var dead = _h.Open(new StoreOwner(int.MaxValue - 1, _ => false));
        var killed = dead.Recorder.Begin("deploy", "web", "staging", "tag t2");
        killed.Step("deploy a revision", "succeeded", "revision web-00003");
        killed.Step("execute migration job web-migrate", "started", null);
        var elsewhere = dead.Recorder.Begin("deploy", "web", "production", "tag t2");
        // Seen from a live process, whose own next deploy there takes over.
        using var live = _h.Open(new StoreOwner(Environment.ProcessId, pid => pid == Environment.ProcessId));

        var next = live.Recorder.Begin("deploy", "web", "staging", "tag t2");

        var record = Assert.Single(_h.State.AuditRecords(), r => r.Action == "deploy-interrupted");
        Assert.Equal(("tester", "web", "staging"), (record.Actor, record.Lane, record.Env));
        Assert.Equal($"interrupted at 'execute migration job web-migrate' (pid {int.MaxValue - 1} ended); operation #{next.Id} took over", record.Result);
        // Its steps stay under its record: the revision it created is on record.
        Assert.Contains(_h.State.OperationOf(record.Id), r => r.Detail == "revision web-00003");
        Assert.Equal([elsewhere.Id, next.Id], live.State.UnfinishedOperations().Select(o => o.Id));
        Assert.Null(new AuditLog(_h.State).Verify());
        Assert.Contains(_h.State.JournalEntries(), j => j.Operation == killed.Id && j.Step is null && j.Status == "interrupted");
    }

    [Fact]
    public void AnEndCoversItsEvidenceByHash_AndWritesItsRowInTheSameTransaction()
    {
        var evidence = Path.Combine(_h.Dir, "results.json");
        File.WriteAllText(evidence, "{}");
        var log = Recorder.Begin("gate", null, "production");

        Assert.Throws<InvalidOperationException>(() => log.End("go", new Dictionary<string, string?>(), "go", evidence, alsoInTransaction: () =>
        {
            _h.State.RecordGate("staging", "production", "t1", go: true, evidence);
            throw new InvalidOperationException("the disk filled up");
        }));

        // Nothing of the end was kept: no gate row, no audit record, no end row.
        Assert.Null(_h.State.LatestGate("staging", "production", "t1"));
        Assert.Empty(_h.State.AuditRecords());
        Assert.Single(_h.State.UnfinishedOperations());
        var audit = log.End("go", new Dictionary<string, string?>(), "go", evidence, alsoInTransaction: () => _h.State.RecordGate("staging", "production", "t1", go: true, evidence));
        Assert.NotNull(audit.ReceiptHash);
        Assert.True(_h.State.LatestGate("staging", "production", "t1")!.Go);
        Assert.Null(new AuditLog(_h.State).Verify());
    }

    [Fact]
    public void ADecision_IsOneRecord_WithItsJournal()
    {
        var audit = Recorder.Record("unfreeze", "old", "staging", new Dictionary<string, string?> { ["change_ticket"] = "CHG-1" }, "allowed", detail: "ticket CHG-1");

        var rows = _h.State.OperationOf(audit.Id);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal("ticket CHG-1", r.Detail));
        Assert.Equal("{\"change_ticket\":\"CHG-1\"}", audit.Inputs);
    }

    [Fact]
    public void AStoppedOperation_EndsItsJournal_WithoutAnAuditRecord()
    {
        var log = Recorder.Begin("rollout", "web", "staging");

        log.Stop("paused", "paused by alice");

        Assert.Empty(_h.State.AuditRecords());
        Assert.Empty(_h.State.UnfinishedOperations());
        Assert.True(log.Ended);
    }

    [Fact]
    public void History_ShowsEachRecordWithItsSteps_AndOperationsThatNeverEnded()
    {
        var done = Recorder.Begin("traffic", "web", "staging");
        done.Step("set traffic", "started", null);
        done.Step("set traffic", "succeeded", "web-1=100");
        done.End("succeeded", new Dictionary<string, string?>(), "succeeded");
        var crashed = Recorder.Begin("deploy", "web", "production");
        crashed.Step("execute migration job", "started", null);
        var running = _h.Open(new StoreOwner(int.MaxValue - 1, pid => pid == int.MaxValue - 1)).Recorder.Begin("rollout", "api", "staging");
        // Read by a process that sees the rollout's driver alive and this (crashed) one gone.
        var reader = _h.Open(new StoreOwner(int.MaxValue, pid => pid == int.MaxValue - 1));

        var history = new AuditOperation(reader).History(lane: null, limit: 10, steps: true);
        var webOnly = new AuditOperation(reader).History(lane: "api", limit: 10, steps: false);

        var entry = Assert.Single(history.Entries);
        Assert.Equal(["set traffic", "set traffic"], entry.Steps.Select(s => s.Step));
        Assert.Equal(2, history.Unfinished.Count);
        Assert.Equal(("deploy", "execute migration job", false), (history.Unfinished[0].Start.Action, history.Unfinished[0].LastStep!.Step, history.Unfinished[0].Running));
        Assert.Equal(crashed.Id, history.Unfinished[0].Start.Id);
        Assert.Equal((running.Id, true), (history.Unfinished[1].Start.Id, history.Unfinished[1].Running));
        Assert.Empty(webOnly.Entries);
        Assert.Equal(running.Id, Assert.Single(webOnly.Unfinished).Start.Id);
    }

    [Fact]
    public void ReceiptsInOneMillisecond_AllKeep_PassingOverPlantedLinks_AndTheAuditChainVerifies()
    {
        var target = new TargetRef("api", "production", PlatformKind.CloudRun, "api", "acme", "europe-west1");
        var folder = Path.Combine(_h.Dir, ".deploymatrix", "receipts");
        Directory.CreateDirectory(folder);
        var victim = Path.Combine(_h.Dir, "victim.txt");
        File.WriteAllText(victim, "victim");
        File.CreateSymbolicLink(Path.Combine(folder, "20261130T100000000Z-api-production-deploy.json"), victim);
        File.CreateSymbolicLink(Path.Combine(folder, "20261130T100000000Z-api-production-deploy-2.json"), Path.Combine(_h.Dir, "nowhere"));

        var first = Recorder.Receipts.Write(target, "deploy", "t1", [], new Dictionary<string, string>(), null);
        var second = Recorder.Receipts.Write(target, "deploy", "t2", [], new Dictionary<string, string>(), null);
        Recorder.Record("deploy", "api", "production", new Dictionary<string, string?>(), "succeeded", first);
        Recorder.Record("deploy", "api", "production", new Dictionary<string, string?>(), "succeeded", second);

        Assert.Equal(["20261130T100000000Z-api-production-deploy-3.json", "20261130T100000000Z-api-production-deploy-4.json"], new[] { first, second }.Select(Path.GetFileName));
        Assert.Equal(("victim", false), (File.ReadAllText(victim), File.Exists(Path.Combine(_h.Dir, "nowhere"))));
        Assert.Contains("\"t1\"", File.ReadAllText(first), StringComparison.Ordinal);
        Assert.Contains("\"t2\"", File.ReadAllText(second), StringComparison.Ordinal);
        Assert.Null(new AuditLog(_h.State).Verify());
    }

    [Fact]
    public void AReceipt_HasTheSeedsFieldsAndTheSteps()
    {
        var target = new TargetRef("api", "production", PlatformKind.CloudRun, "api", "acme", "europe-west1");
        var started = _h.Time.GetUtcNow();
        var steps = new[] { new StepOutcome(1, "deploy-revision", "deploy", true, "revision api-2", started, started.AddSeconds(3)) };

        var path = Recorder.Receipts.Write(target, "deploy", "t7", steps, new Dictionary<string, string> { ["image"] = "img", ["migrate_job"] = "api-migrate" }, "it broke");

        var receipt = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        Assert.Equal("20261130T100000000Z-api-production-deploy.json", Path.GetFileName(path));
        Assert.Equal(ReceiptWriter.Schema, receipt.GetProperty("schema").GetString());
        Assert.Equal(("cloudrun", "acme", "europe-west1", "api", "t7"), (receipt.GetProperty("platform").GetString(), receipt.GetProperty("project").GetString(),
            receipt.GetProperty("region").GetString(), receipt.GetProperty("service").GetString(), receipt.GetProperty("tag").GetString()));
        Assert.Equal(("failed", "it broke"), (receipt.GetProperty("result").GetString(), receipt.GetProperty("error").GetString()));
        Assert.Equal(("img", "api-migrate"), (receipt.GetProperty("image").GetString(), receipt.GetProperty("migrate_job").GetString()));
        var step = receipt.GetProperty("steps")[0];
        Assert.Equal(("deploy-revision", "succeeded", "revision api-2"), (step.GetProperty("kind").GetString(), step.GetProperty("status").GetString(), step.GetProperty("detail").GetString()));
        Assert.Equal("2026-11-30T10:00:03.0000000+00:00", step.GetProperty("ended_at").GetString());
    }

    public void Dispose() => _h.Dispose();
}
