using Microsoft.Extensions.Time.Testing;

namespace DeployMatrix.State.Tests;

/// <summary>
/// What the state store does on every backend: schema, transactions, and the rows each part of
/// DeployMatrix keeps. Each backend's class runs all of it against a real database (a SQLite file, a
/// PostgreSQL server started for the run).
/// </summary>
public abstract partial class StoreContract : IDisposable
{
    private readonly List<StateStore> _stores = [];

    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-11-30T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Where this test's state lives.</summary>
    protected abstract StateLocation Location { get; }

    /// <summary>Runs SQL on the test's database behind the store's back (what an attacker or an older build would do).</summary>
    protected abstract void Sql(string sql);

    /// <summary>A store acting for another live process (on PostgreSQL: another connection, another session).</summary>
    protected abstract StateStore OpenProcess();

    /// <summary>Ends a store's process the way a crash would; other stores see its owner gone.</summary>
    protected abstract void Kill(StateStore store);

    protected StateStore Open(StoreOwner? owner = null) => Track(StateStore.Open(Location, Time, owner));

    protected StateStore Track(StateStore store)
    {
        _stores.Add(store);
        return store;
    }

    [Fact]
    public void Opening_CreatesTheSchema_AndOpeningAgainChangesNothing()
    {
        var first = Open();
        var version = first.SchemaVersion;
        first.Journal(first.BeginOperation("a", null, null, "gate", null), "a", null, null, "gate", null, "go", null);

        var second = Open();

        Assert.Equal(13, version);
        Assert.Equal(version, second.SchemaVersion);
        Assert.Equal(2, second.JournalEntries().Count);
    }

    [Fact]
    public void AStoreWithANewerSchema_IsRefused_WithOneLineSayingToUpgrade()
    {
        Open().Dispose();
        Sql("UPDATE schema_version SET version = 99");

        var e = Assert.Throws<StateStoreException>(() => Open());

        Assert.Matches(@"^the state at \S+ has schema version 99, newer than this deploymatrix knows \(13\); upgrade deploymatrix to use it$", e.Message);
    }

    [Fact]
    public void AWrite_IsAllOrNothing_AndOneInsideAnotherJoinsIt()
    {
        var store = Open();

        Assert.Throws<InvalidOperationException>(() => store.Write(() =>
        {
            store.RecordGate("staging", "production", "t1", go: true, "e1");
            store.Write(() => store.RecordStable("local", "staging", "svc", "svc-1"));
            throw new InvalidOperationException("stop");
        }));
        store.Write(() =>
        {
            store.RecordGate("staging", "production", "t2", go: true, "e2");
            store.Write(() => store.RecordStable("local", "staging", "svc", "svc-2"));
        });

        Assert.Null(store.LatestGate("staging", "production", "t1"));
        Assert.NotNull(store.LatestGate("staging", "production", "t2"));
        Assert.Equal("svc-2", store.FindStable("local", "staging", "svc"));
    }

    [Fact]
    public async Task ThreadsShareTheStore_WithoutLosingARow()
    {
        var store = Open();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
        {
            for (var j = 0; j < 25; j++)
            {
                var op = store.BeginOperation("t", "lane", "env", "deploy", $"{i}/{j}");
                store.Journal(op, "t", "lane", "env", "deploy", null, "succeeded", null);
            }
        })));

        Assert.Equal(400, store.JournalEntries(1000).Count);
        Assert.Empty(store.UnfinishedOperations());
    }

    [Fact]
    public void ALock_IsHeldByItsOwner_TakenOverFromTheDead_AndReleasedOnlyByItsHolder()
    {
        var alive = OpenProcess();
        var other = OpenProcess();
        var afterDeath = OpenProcess();

        Assert.Null(alive.TryLock("web/staging", "alice deploy"));
        Assert.Null(alive.TryLock("web/staging", "alice deploy again"));
        Assert.Equal($"alice deploy again ({other.Owner.Describe(alive.Owner.Pid)}) since 2026-11-30T10:00:00.0000000+00:00", other.TryLock("web/staging", "bob traffic"));
        other.Unlock("web/staging");
        Assert.NotNull(other.TryLock("web/staging", "bob traffic"));
        alive.Unlock("web/staging");
        Assert.Null(other.TryLock("web/staging", "bob traffic"));
        Kill(other);
        Assert.Null(afterDeath.TryLock("web/staging", "carol rollback"));
        Assert.Null(afterDeath.TryLock("api/staging", "carol traffic"));
    }

    [Fact]
    public void ARollout_IsStarted_Updated_Claimed_AndSteered()
    {
        var driver = OpenProcess();
        var id = driver.StartRollout("web", "staging", "s", "c", [0, 5, 100], TimeSpan.FromSeconds(30), "running");
        Time.Advance(TimeSpan.FromSeconds(1));
        driver.UpdateRollout(id, "running", 1, 5, null, driven: true);
        var running = driver.Rollout(id)!;
        driver.UpdateRollout(id, "paused", 1, 5, "paused by alice", driven: false);
        var paused = driver.LatestRollout("web", "staging")!;
        var other = OpenProcess();
        var refused = other.ClaimRollout(id, "running", row => row.Status != "paused");
        var claimed = other.ClaimRollout(id, "running", _ => true);
        other.RequestRolloutControl(id, "abort", "bob", "wrong build");

        Assert.Equal((driver.Owner.Pid, 1, 5, 30_000L), (running.OwnerPid, running.StageIndex, running.Stage, running.WindowMs));
        Assert.Equal([0, 5, 100], running.Stages);
        Assert.Equal("2026-11-30T10:00:01.0000000+00:00", running.UpdatedAt);
        Assert.Equal(("paused", (int?)null, "paused by alice"), (paused.Status, paused.OwnerPid, paused.Reason));
        Assert.False(refused);
        Assert.True(claimed);
        Assert.Equal(other.Owner.Pid, other.Rollout(id)!.OwnerPid);
        Assert.Equal(new RolloutControlRow("abort", "bob", "wrong build"), other.TakeRolloutControl(id));
        Assert.Null(other.TakeRolloutControl(id));
        Assert.Null(other.LatestRollout("api", "staging"));
    }

    [Fact]
    public void TheJournal_GroupsAnOperationsRows_AndFindsTheOnesThatNeverEnded()
    {
        var store = OpenProcess();
        var ended = store.BeginOperation("alice", "web", "staging", "deploy", "tag t1");
        store.Journal(ended, "alice", "web", "staging", "deploy", "deploy a revision", "started", null);
        var audit = store.AppendAudit((prev, at) => new AuditRecord(0, at, "alice", "deploy", "web", "staging", "{}", "succeeded", null, null, prev, "h1"));
        store.Journal(ended, "alice", "web", "staging", "deploy", null, "succeeded", null, audit.Id);
        var open = store.BeginOperation("bob", "api", "production", "rollout", null);
        store.Journal(open, "bob", "api", "production", "rollout", "stage 5%", "recorded", "traffic set");

        Assert.Equal([ended, ended, ended], store.OperationOf(audit.Id).Select(r => r.Operation));
        Assert.Empty(store.OperationOf(audit.Id + 1));
        var unfinished = Assert.Single(store.UnfinishedOperations());
        Assert.Equal((open, store.Owner.Pid, "bob"), (unfinished.Id, unfinished.Pid, unfinished.Actor));
        Assert.Equal("stage 5%", store.LastStep(open)!.Step);
        Assert.Null(store.LastStep(open + 100));
    }

    [Fact]
    public void EachRecord_HasTheStepsSinceThePreviousRecordOfItsOperation()
    {
        var store = Open();
        AuditRecord Audit(string action) => store.AppendAudit((prev, at) => new AuditRecord(0, at, "alice", action, "web", "staging", "{}", "ok", null, null, prev, action));
        var op = store.BeginOperation("alice", "web", "staging", "rollout", null);
        var first = Audit("rollout-stage");
        var five = store.Journal(op, "alice", "web", "staging", "rollout", "stage 5%", "recorded", "pass", first.Id);
        var watch = store.Journal(op, "alice", "web", "staging", "rollout", "analysis", "started", null);
        var second = Audit("rollout-stage");
        var hundred = store.Journal(op, "alice", "web", "staging", "rollout", "stage 100%", "recorded", "pass", second.Id);
        var end = Audit("rollout");
        var last = store.Journal(op, "alice", "web", "staging", "rollout", null, "succeeded", null, end.Id);

        Assert.Equal([op, five], store.OperationOf(first.Id).Select(r => r.Id));
        Assert.Equal([watch, hundred], store.OperationOf(second.Id).Select(r => r.Id));
        Assert.Equal([last], store.OperationOf(end.Id).Select(r => r.Id));
    }

    [Fact]
    public void GoneOperations_AreTheUnfinishedOnesOfTheActionLaneAndEnvironmentWhoseOwnerIsGone()
    {
        var killed = OpenProcess();
        var live = OpenProcess();
        var next = OpenProcess();
        var interrupted = killed.BeginOperation("alice", "web", "staging", "rollout", null);
        killed.BeginOperation("alice", "web", "production", "rollout", null);
        killed.BeginOperation("alice", "web", "staging", "deploy", null);
        live.BeginOperation("bob", "web", "staging", "rollout", null);
        var ended = killed.BeginOperation("alice", "web", "staging", "rollout", null);
        killed.Journal(ended, "alice", "web", "staging", "rollout", null, "succeeded", null);
        Kill(killed);

        var taking = next.BeginOperation("carol", "web", "staging", "rollout", null);

        Assert.Equal([interrupted], next.GoneOperations("rollout", "web", "staging", taking).Select(o => o.Id));
        Assert.DoesNotContain(next.GoneOperations("rollout", "web", "staging", interrupted), o => o.Id == interrupted);
    }

    [Fact]
    public void TheAuditChain_LinksEachRecordToTheOneBefore()
    {
        var store = Open();

        var first = store.AppendAudit((prev, at) => new AuditRecord(0, at, "a", "gate", null, null, "{}", "go", null, null, prev, "hash-1"));
        var second = store.AppendAudit((prev, at) => new AuditRecord(0, at, "a", "gate", null, null, "{}", "go", null, null, prev, "hash-2"));

        Assert.Equal(StateStore.AuditGenesis, first.PrevHash);
        Assert.Equal("hash-1", second.PrevHash);
        Assert.Equal([first.Id, second.Id], store.AuditRecords().Select(r => r.Id));
    }

    [Fact]
    public void Gates_Artifacts_Jobs_Services_Traffic_Stable_AndMaintenance_RoundTrip()
    {
        var store = Open();
        store.RecordGate("staging", "production", "t1", go: false, "e1");
        store.RecordGate("staging", "production", "t1", go: true, "e2");
        store.PutArtifact(new ArtifactRecord("sha256:aa", "web", "/a", 10));
        store.PutArtifact(new ArtifactRecord("sha256:aa", "web", "/a", 10));
        store.BindTag("local", "web", "t1", "sha256:aa", "local://web@sha256:aa");
        store.BindTag("local", "web", "t2", "sha256:aa", "local://web@sha256:aa");
        store.PutJob(new JobRecord("staging", "web-migrate", "web", "web-staging", "img-1", "sha256:aa"));
        store.PutJob(new JobRecord("staging", "web-migrate", "web", "web-staging", "img-2", "sha256:bb"));
        var (execution, _) = store.StartExecution("staging", "web-migrate", "img-2", "sha256:bb", id => $"log-{id}", ownerPid: 42);
        var (second, blockedBy) = store.StartExecution("staging", "web-migrate", "img-2", "sha256:bb", id => $"log-{id}");
        var running = store.RunningExecutions();
        store.FinishExecution(execution!.Value, 3);
        store.FinishExecution(execution.Value, 0, ExecutionStatus.Cancelled, "late");
        var (third, _) = store.StartExecution("staging", "web-migrate", "img-2", "sha256:bb", id => $"log-{id}");
        store.FinishExecution(third!.Value, null, ExecutionStatus.Cancelled, "the command that started it was cancelled");
        store.EnsureService("staging", "web-staging", "web", 8080, "{\"max_headers\":10}");
        store.EnsureService("staging", "web-staging", "web", null);
        var number = store.NextRevisionNumber("staging", "web-staging");
        store.SetTraffic("staging", "web-staging", [new TrafficSplitRecord("web-staging-1", 90), new TrafficSplitRecord("web-staging-2", 10), new TrafficSplitRecord("web-staging-3", 0)]);
        store.RecordStable("cloudrun", "staging", "web-staging", "web-staging-7");
        store.SetMaintenance(new MaintenanceRecord("staging", "web-staging", "web", "local", "now", "alice", "m", 60, "snap"));

        Assert.Equal(("e2", true), (store.LatestGate("staging", "production", "t1")!.Evidence, store.LatestGate("staging", "production", "t1")!.Go));
        Assert.Equal("sha256:aa", store.FindArtifact("web", "t2")!.Digest);
        Assert.Equal(2, store.TagsOf("local", "web", "sha256:aa").Count);
        Assert.Empty(store.TagsOf("cloudrun", "web", "sha256:aa"));
        Assert.Equal("/a", store.FindArtifactByDigest("sha256:aa")!.Path);
        Assert.Equal("img-2", store.FindJob("staging", "web-migrate")!.Image);
        // One execution of a job at a time; an ended one does not change again.
        Assert.Null(second);
        Assert.Equal((execution.Value, (int?)42, $"log-{execution}"), (blockedBy!.Id, blockedBy.OwnerPid, blockedBy.LogPath));
        Assert.Equal([execution.Value], running.Select(r => r.Id));
        Assert.Equal(("failed", (int?)3), (store.FindExecution(execution.Value)!.Status, store.FindExecution(execution.Value)!.ExitCode));
        Assert.Equal(("cancelled", "the command that started it was cancelled"), (store.Executions("staging", "web-migrate")[0].Status, store.Executions("staging", "web-migrate")[0].Reason));
        Assert.Empty(store.RunningExecutions());
        // A later deploy without a port or listener settings keeps the recorded ones.
        Assert.Equal((8080, "{\"max_headers\":10}"), (store.FindService("staging", "web-staging")!.Port, store.FindService("staging", "web-staging")!.Listener));
        Assert.Equal((1, 2), (number, store.NextRevisionNumber("staging", "web-staging")));
        Assert.Equal([("web-staging-1", 90), ("web-staging-2", 10)], store.Traffic("staging", "web-staging").Select(t => (t.Revision, t.Percent)));
        Assert.Equal("web-staging-7", store.FindStable("cloudrun", "staging", "web-staging"));
        Assert.Null(store.FindStable("local", "staging", "web-staging"));
        Assert.Equal("snap", store.FindMaintenance("staging", "web-staging")!.PreviousTraffic);
        store.ClearMaintenance("staging", "web-staging");
        Assert.Empty(store.Maintenance());
    }

    [Fact]
    public void ATag_IsBoundOnce_ARebindRepointsIt_AndVoidsEveryVerdictForIt()
    {
        var store = Open();
        var first = store.BindTag("local", "web", "v1", "sha256:aa", "local://web@sha256:aa");
        Time.Advance(TimeSpan.FromSeconds(1));
        var second = store.BindTag("local", "web", "v1", "sha256:bb", "local://web@sha256:bb");
        var otherPlatform = store.BindTag("cloudrun", "web", "v1", null, "reg/web:v1");
        var go = store.RecordGate("staging", "production", "v1", go: true, "e1", [new GateRelease("web", "staging", "web-1", "sha256:aa", "local://web@sha256:aa")]);
        store.RecordGate("staging", "production", "v2", go: true, "e2");

        var voided = store.RebindTag("local", "web", "v1", "sha256:bb", "local://web@sha256:bb", "re-tagged: rebuilt");

        Assert.Equal(first, second);
        Assert.Equal(("cloudrun", (string?)null), (otherPlatform.Platform, otherPlatform.Digest));
        Assert.Equal(1, voided);
        Assert.Equal("sha256:bb", store.FindTag("local", "web", "v1")!.Digest);
        Assert.Equal("re-tagged: rebuilt", store.LatestGate("staging", "production", "v1")!.Voided);
        Assert.Null(store.LatestGate("staging", "production", "v2")!.Voided);
        Assert.Equal([new GateRelease("web", "staging", "web-1", "sha256:aa", "local://web@sha256:aa")], store.GateReleases(go));
    }

    public virtual void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        GC.SuppressFinalize(this);
    }
}
