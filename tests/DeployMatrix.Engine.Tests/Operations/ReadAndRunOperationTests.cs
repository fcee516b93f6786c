using DeployMatrix.Core;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Operations;

/// <summary>Status, build, run, drill and the audit: the operations around the plan verbs.</summary>
public sealed class ReadAndRunOperationTests : IDisposable
{
    /// <summary>The test matrix with a binary lane that runs a shell command with the caller's words.</summary>
    private static readonly string Matrix = EngineHarness.Matrix.Replace("  old:\n", """
          ops:
            kind: binary
            run: sh -c <command>
            build: { local: { command: "true", artifact: ops } }
            env: { OPS_MODE: lane }
            targets:
              staging: { service: ops-staging, env: { OPS_MODE: staging } }
          old:

        """, StringComparison.Ordinal);

    private readonly EngineHarness _h = new(Matrix);

    [Fact]
    public async Task Status_ShowsEachDeployedService_WithItsStableRevision_AndRefusesAnUnknownLane()
    {
        var stable = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        _h.State.SetMaintenance(new State.MaintenanceRecord("staging", "web-staging", "web", "local", "since-then", "alice", "m", 300, null));

        var all = await new StatusOperation(_h.Workspace).RunAsync(null, null, CancellationToken.None);
        var unknown = await Assert.ThrowsAsync<OperationException>(() => new StatusOperation(_h.Workspace).RunAsync("wbe", null, CancellationToken.None));

        var view = Assert.Single(all);
        Assert.Equal(("web-staging", "web", "staging", "local", stable, "since-then"), (view.Service, view.Lane, view.Env, view.Platform, view.StableRevision, view.MaintenanceSince));
        Assert.Equal(stable, view.LatestReadyRevision);
        Assert.Equal((ExitCodes.BadInput, "unknown lane 'wbe' (did you mean 'web'?)"), (unknown.ExitCode, unknown.Message));
    }

    [Fact]
    public async Task Status_RefusesAnUnknownEnvironment_RatherThanSayingNothingIsDeployedThere()
    {
        _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");

        var typo = await Assert.ThrowsAsync<OperationException>(() => new StatusOperation(_h.Workspace).RunAsync(null, "stagign", CancellationToken.None));

        Assert.Equal((ExitCodes.BadInput, "unknown environment 'stagign' (did you mean 'staging'?)"), (typo.ExitCode, typo.Message));
    }

    [Fact]
    public void History_RefusesALaneNothingKnows_ButShowsTheRecordsOfALaneRemovedFromTheMatrix()
    {
        _h.Workspace.Recorder.Record("deploy", "gone", "staging", new Dictionary<string, string?>(), "ok");

        var typo = Assert.Throws<OperationException>(() => new AuditOperation(_h.Workspace).History("wbe", 10, steps: false));
        var removed = new AuditOperation(_h.Workspace).History("gone", 10, steps: false);

        Assert.Equal((ExitCodes.BadInput, "unknown lane 'wbe' (did you mean 'web'?)"), (typo.ExitCode, typo.Message));
        Assert.Equal("gone", Assert.Single(removed.Entries).Record.Lane);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void History_ALimitBelowOne_IsBadInput(int limit)
    {
        var refused = Assert.Throws<OperationException>(() => new AuditOperation(_h.Workspace).History(null, limit, steps: false));

        Assert.Equal((ExitCodes.BadInput, $"--limit {limit}: give a number of records, 1 or more"), (refused.ExitCode, refused.Message));
    }

    [Fact]
    public async Task Build_StoresTheImageUnderItsTag_AndAuditsIt_AndAFrozenLaneIsRefused()
    {
        var lines = new List<string>();

        var built = await new BuildOperation(_h.Workspace).RunAsync("web", "t9", allowDirty: false, gcloud: false, retagReason: null, lines.Add, CancellationToken.None);
        var frozen = await Assert.ThrowsAsync<OperationException>(() => new BuildOperation(_h.Workspace).RunAsync("old", "t9", false, false, null, lines.Add, CancellationToken.None));
        var gcloud = await Assert.ThrowsAsync<OperationException>(() => new BuildOperation(_h.Workspace).RunAsync("web", "t9", false, gcloud: true, null, lines.Add, CancellationToken.None));

        Assert.Equal(("web", "t9", "local://web@sha256:built-t9"), (built.Lane, built.Tag, built.Image));
        Assert.Equal(["built local://web@sha256:built-t9", "tagged t9: sha256:built-t9"], lines);
        var audit = Assert.Single(_h.State.AuditRecords());
        Assert.Equal(("build", "succeeded"), (audit.Action, audit.Result));
        Assert.Equal("{\"command\":\"true\",\"digest\":\"sha256:built-t9\",\"image\":\"local://web@sha256:built-t9\",\"log\":\"build-t9.log\",\"tag\":\"t9\"}", audit.Inputs);
        Assert.Equal(ExitCodes.FrozenLegacy, frozen.ExitCode);
        Assert.Equal((ExitCodes.BadInput, "--executor gcloud builds for Cloud Run; add --platform cloudrun"), (gcloud.ExitCode, gcloud.Message));
    }

    [Fact]
    public async Task ATag_NamesOneContent_ARebuildWithOtherContentIsRefused_AndForceRetagVoidsItsVerdicts()
    {
        var lines = new List<string>();
        var builds = new BuildOperation(_h.Workspace);
        await builds.RunAsync("web", "t9", false, false, null, lines.Add, CancellationToken.None);
        var same = await builds.RunAsync("web", "t9", false, false, null, lines.Add, CancellationToken.None);
        _h.State.RecordGate("staging", "production", "t9", go: true, "evidence/1", [new("web", "staging", "web-staging-1", "sha256:built-t9", "local://web@sha256:built-t9")]);
        _h.Platform.BuildsAs["t9"] = "changed";
        var refused = await Assert.ThrowsAsync<OperationException>(() => builds.RunAsync("web", "t9", false, false, null, lines.Add, CancellationToken.None));
        var bound = _h.State.FindTag("local", "web", "t9")!.Digest;
        lines.Clear();
        var retagged = await builds.RunAsync("web", "t9", false, false, "rebuilt after a toolchain fix", lines.Add, CancellationToken.None);

        Assert.Equal("sha256:built-t9", same.Digest);
        Assert.Equal(ExitCodes.BadInput, refused.ExitCode);
        Assert.Matches(@"^tag t9 of lane web is bound to sha256:built-t9 \(since [^)]+\), and this build made sha256:changed; a tag names one content — build another tag, or re-point this one with --force-retag --reason ""…"" \(voids the tag's gate verdicts\)$", refused.Message);
        Assert.Equal("sha256:built-t9", bound);
        Assert.Equal("sha256:changed", retagged.Digest);
        Assert.Equal("sha256:changed", _h.State.FindTag("local", "web", "t9")!.Digest);
        Assert.Equal("tag t9 re-pointed from sha256:built-t9 to sha256:changed; 1 gate verdict(s) for it voided", lines[^1]);
        Assert.StartsWith("re-tagged sha256:built-t9 -> sha256:changed: rebuilt after a toolchain fix", _h.State.LatestGate("staging", "production", "t9")!.Voided, StringComparison.Ordinal);
        Assert.Equal(["build:succeeded", "build:succeeded", "build:refused", "retag:recorded", "build:succeeded"], _h.State.AuditRecords().Select(r => $"{r.Action}:{r.Result.Split(':')[0]}"));
        var retag = _h.State.AuditRecords().Single(r => r.Action == "retag");
        Assert.Contains("\"from\":\"sha256:built-t9\"", retag.Inputs, StringComparison.Ordinal);
        Assert.Contains("\"voided_verdicts\":\"1\"", retag.Inputs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StreamsABinaryLanesLines_WithItsEnvironment_AndReturnsItsExitCode()
    {
        var lines = new List<ProcessLine>();

        var code = await new RunOperation(_h.Workspace).RunAsync("ops", ["echo $OPS_MODE; echo oops >&2; exit 4"], "staging", null, lines.Add, CancellationToken.None);
        var laneOnly = await new RunOperation(_h.Workspace).RunAsync("ops", ["echo $OPS_MODE"], null, null, lines.Add, CancellationToken.None);

        Assert.Equal((4, 0), (code, laneOnly));
        // Each stream's lines in their order (two pipes have no order between them).
        Assert.Equal(["staging", "lane"], lines.Where(l => !l.IsError).Select(l => l.Text));
        Assert.Equal(["oops"], lines.Where(l => l.IsError).Select(l => l.Text));
        Assert.Empty(_h.State.AuditRecords());
    }

    [Fact]
    public async Task ADrill_ShiftsAndRollsBack_AndAuditsItsSummary()
    {
        var stable = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        _h.Platform.Images["local://web:t2"] = "local://web@sha256:web-t2";
        await new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t2", noTraffic: true, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        var canary = _h.Platform.Latest("web-staging");
        var said = new List<string>();
        var dir = Path.Combine(_h.Dir, "drill");

        var run = await _h.RunAsync(new DrillOperation(_h.Workspace).RunAsync("web", "staging", [5, 50], TimeSpan.FromSeconds(1), dir, said.Add, CancellationToken.None));

        Assert.True(run.Result.Passed);
        Assert.Equal($"drill canary web (staging): stable {stable}, canary {canary}", Assert.Single(said));
        Assert.Equal(["status-pre", "traffic-5", "traffic-50", "rollback", "status-post"], run.Result.Steps.Select(s => s.StepId));
        Assert.Equal([new Engine.Platform.TrafficAssignment(stable, 100)], _h.Platform.Traffic("web-staging"));
        Assert.True(File.Exists(Path.Combine(dir, "summary.json")));
        Assert.Equal(("drill", "pass"), (_h.State.AuditRecords()[^1].Action, _h.State.AuditRecords()[^1].Result));
    }

    [Fact]
    public async Task ADryRunDrill_WritesTheWholeReportWithEveryCommand_AndNeitherCallsNorChangesAnything()
    {
        var stable = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        _h.Platform.Images["local://web:t2"] = "local://web@sha256:web-t2";
        await new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t2", noTraffic: true, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        var before = (Calls: _h.Platform.Calls.Count, Traffic: string.Join(',', _h.Platform.Traffic("web-staging")), Audits: _h.State.AuditRecords().Count, Journal: _h.State.JournalEntries().Count, Stable: _h.Workspace.RecordedStable(_h.Workspace.Resolve("web", "staging")));
        _h.PlatformReachable = false; // opening a platform would fail the dry run
        var dir = Path.Combine(_h.Dir, "drill");

        var run = new DrillOperation(_h.Workspace).DryRun("web", "staging", [5, 100], dir);

        Assert.Equal([
            ("status-pre", "deploymatrix status web --env staging"),
            ("traffic-5", $"deploymatrix traffic web --env staging --to {stable}=95,CANARY=5"),
            ("traffic-100", $"deploymatrix traffic web --env staging --to {stable}=0,CANARY=100"),
            ("rollback", $"deploymatrix rollback web --env staging --to {stable}"),
            ("status-post", "deploymatrix status web --env staging"),
        ], run.Result.Steps.Select(s => (s.StepId, s.Command)));
        Assert.All(run.Result.Steps, s => Assert.Equal(("pass", "dry run: not run"), (s.Status, s.Reason)));
        var lines = File.ReadAllLines(Path.Combine(dir, "step-results.jsonl"));
        Assert.Equal(run.Result.Steps.Select(s => s.Command), lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("command").GetString()));
        var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json"))).RootElement;
        Assert.True(summary.GetProperty("dry_run").GetBoolean());
        Assert.Equal((5, "pass", stable, "CANARY"), (summary.GetProperty("totals").GetProperty("step_count").GetInt32(), summary.GetProperty("overall_status").GetString(), summary.GetProperty("stable_revision").GetString(), summary.GetProperty("canary_revision").GetString()));
        Assert.StartsWith("# Canary drill: web-staging (staging) — DRY RUN", File.ReadAllText(Path.Combine(dir, "SUMMARY.md")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "timeline.svg")));
        var log = File.ReadAllLines(Path.Combine(dir, "logs", "traffic-5.log"));
        Assert.Equal(["dry run: not run; nothing was changed", $"$ deploymatrix traffic web --env staging --to {stable}=95,CANARY=5", "what it does on the local platform:"], log[..3]);
        Assert.Equal(before, (_h.Platform.Calls.Count, string.Join(',', _h.Platform.Traffic("web-staging")), _h.State.AuditRecords().Count, _h.State.JournalEntries().Count, _h.Workspace.RecordedStable(_h.Workspace.Resolve("web", "staging"))));
    }

    [Fact]
    public void ADryRunDrill_OfAnUnknownLane_IsRefused_AndWritesNothing()
    {
        var dir = Path.Combine(_h.Dir, "drill");

        var refused = Assert.Throws<OperationException>(() => new DrillOperation(_h.Workspace).DryRun("wbe", "staging", [5], dir));

        Assert.Equal(ExitCodes.BadInput, refused.ExitCode);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task ADrillsReport_ReplacesLinksPlantedInItsFolder_AndNeverWritesThroughThem()
    {
        _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        _h.Platform.Images["local://web:t2"] = "local://web@sha256:web-t2";
        await new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t2", noTraffic: true, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        var dir = Path.Combine(_h.Dir, "drill");
        Directory.CreateDirectory(Path.Combine(dir, "logs"));
        var victim = Path.Combine(_h.Dir, "victim.txt");
        File.WriteAllText(victim, "victim");
        File.CreateSymbolicLink(Path.Combine(dir, "summary.json"), victim);
        File.CreateSymbolicLink(Path.Combine(dir, "logs", "rollback.log"), victim);

        await _h.RunAsync(new DrillOperation(_h.Workspace).RunAsync("web", "staging", [5], TimeSpan.Zero, dir, _ => { }, CancellationToken.None));

        Assert.Equal("victim", File.ReadAllText(victim));
        Assert.Null(new FileInfo(Path.Combine(dir, "summary.json")).LinkTarget);
        Assert.Null(new FileInfo(Path.Combine(dir, "logs", "rollback.log")).LinkTarget);
        Assert.Contains("\"overall_status\"", File.ReadAllText(Path.Combine(dir, "summary.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADrill_IntoAReportFolderThatIsALink_IsRefusedBeforeAnythingChanges()
    {
        var stable = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        _h.Platform.Images["local://web:t2"] = "local://web@sha256:web-t2";
        await new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t2", noTraffic: true, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        var elsewhere = Directory.CreateDirectory(Path.Combine(_h.Dir, "elsewhere")).FullName;
        var dir = Path.Combine(_h.Dir, "drill");
        Directory.CreateSymbolicLink(dir, elsewhere);
        var audits = _h.State.AuditRecords().Count;

        var refused = await Assert.ThrowsAsync<OperationException>(() => new DrillOperation(_h.Workspace).RunAsync("web", "staging", [5], TimeSpan.Zero, dir, _ => { }, CancellationToken.None));

        Assert.Equal(($"--out: {dir} is a symbolic link; give a real folder for the drill's report", 2), (refused.Message, refused.ExitCode));
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
        Assert.Equal([new Engine.Platform.TrafficAssignment(stable, 100)], _h.Platform.Traffic("web-staging"));
        Assert.Equal(audits, _h.State.AuditRecords().Count);
    }

    [Fact]
    public async Task ADrill_NeedsACanaryBesidesTheStable()
    {
        var stable = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");

        var refused = await Assert.ThrowsAsync<OperationException>(() => new DrillOperation(_h.Workspace).RunAsync("web", "staging", [5], TimeSpan.Zero, null, _ => { }, CancellationToken.None));

        Assert.Equal($"web-staging has no ready canary besides {stable}; deploy one with: deploymatrix deploy web --env staging --no-traffic", refused.Message);
    }

    [Fact]
    public async Task DrillsWithoutAFolder_EachGetTheirOwn_UnderDrills_EvenInOneTick()
    {
        _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        await new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t2", noTraffic: true, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        var drills = new DrillOperation(_h.Workspace);

        var first = await drills.RunAsync("web", "staging", [50], TimeSpan.Zero, null, _ => { }, CancellationToken.None);
        var second = await drills.RunAsync("web", "staging", [50], TimeSpan.Zero, null, _ => { }, CancellationToken.None);

        var root = Path.Combine(_h.Dir, ".deploymatrix", "drills", "20261130T100000Z");
        Assert.Equal((root, root + "-2"), (first.Directory, second.Directory));
        Assert.True(File.Exists(Path.Combine(first.Directory, "summary.json")) && File.Exists(Path.Combine(second.Directory, "summary.json")));
    }

    [Fact]
    public async Task ALegacyLane_IsFrozenForEveryOperationOnATarget()
    {
        var refusals = new[]
        {
            await Assert.ThrowsAsync<OperationException>(() => new MaintenanceOperation(_h.Workspace).EnableAsync("old", "staging", null, 60, CancellationToken.None)),
            await Assert.ThrowsAsync<OperationException>(() => new DrillOperation(_h.Workspace).RunAsync("old", "staging", [5], TimeSpan.Zero, null, _ => { }, CancellationToken.None)),
            await Assert.ThrowsAsync<OperationException>(() => new RolloutControlOperation(_h.Workspace).StatusAsync("old", "staging", CancellationToken.None)),
        };

        Assert.All(refusals, r => Assert.Equal(ExitCodes.FrozenLegacy, r.ExitCode));
        Assert.All(refusals, r => Assert.StartsWith("lane 'old' is a frozen legacy lane (the old checkout)", r.Message, StringComparison.Ordinal));
    }

    public void Dispose() => _h.Dispose();
}
