using System.Text.Json;
using DeployMatrix.Core;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Operations;

/// <summary>
/// The plan verbs (deploy, traffic, rollback, migrate) through the engine: the steps that run, the rules
/// that refuse them, and what they record.
/// </summary>
public sealed class ChangeOperationTests : IAsyncLifetime
{
    private readonly EngineHarness _h = new();
    private LoopbackService _service = null!;

    public async Task InitializeAsync()
    {
        _service = await LoopbackService.StartAsync();
        _service.Answers["/healthz"] = (200, "ok", null);
        _h.Platform.BaseUrl = _service.Url;
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _h.Dispose();
    }

    [Fact]
    public async Task ReleaseTags_AreTidiedBeyondTheNewestFive_NeverTheServingOnesNorATeamsTag()
    {
        var first = _h.Platform.Seed("api-staging", "local://api@sha256:api-t1", "t1");
        _h.Platform.TagRevision("api-staging", "qa", first);
        _h.Platform.TagRevision("api-staging", "dm-t1", first);
        for (var i = 2; i <= 8; i++)
        {
            Built("api", $"t{i}");
            Assert.True((await Deploy("api", "staging", $"t{i}")).Ok);
        }

        // Staging deploys take all traffic: t8 serves; t4..t8 are the newest five; t1's revision keeps its team tag only.
        var tags = _h.Platform.Tags("api-staging");
        Assert.Equal(["dm-t4", "dm-t5", "dm-t6", "dm-t7", "dm-t8", "qa"], tags.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(first, tags["qa"]);
        // One release falls out of the newest five per deploy from the sixth release on.
        Assert.Equal(["RemoveTags api-staging dm-t1", "RemoveTags api-staging dm-t2", "RemoveTags api-staging dm-t3"], _h.Platform.Calls.Where(c => c.StartsWith("RemoveTags", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ReleaseTags_OfTheServingRevision_StayWhateverItsAge()
    {
        var stable = _h.Platform.Seed("api", "local://api@sha256:api-t1", "t1");
        _h.Platform.TagRevision("api", "dm-t1", stable);
        for (var i = 2; i <= 8; i++)
        {
            Built("api", $"t{i}");
            Assert.True((await Deploy("api", "production", $"t{i}", new ChangeOptions { GateOverride = "tag tidying under test" })).Ok);
        }

        // Production deploys take no traffic: t1 still serves everything and keeps its tag URL.
        Assert.Equal(["dm-t1", "dm-t4", "dm-t5", "dm-t6", "dm-t7", "dm-t8"], _h.Platform.Tags("api").Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ADeployTheCallerMayNotMake_StopsAtItsPreflight_WithExit1_BeforeAnyPlatformChange()
    {
        var old = _h.Platform.Seed("api-staging", "local://api@sha256:api-t1", "t1");
        _h.Platform.Missing.Add("run.services.update");

        var result = await Deploy("api", "staging", "t2");

        Assert.Equal((ExitCodes.Failed, "check-permissions"), (result.ExitCode, result.Steps[^1].Kind));
        Assert.StartsWith("the caller lacks run.services.update on api-staging", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(_h.Platform.Calls, c => c.StartsWith("Deploy ", StringComparison.Ordinal) || c.StartsWith("SetTraffic", StringComparison.Ordinal));
        Assert.Equal([new TrafficAssignment(old, 100)], _h.Platform.Traffic("api-staging"));
    }

    [Fact]
    public async Task AStagingDeploy_Migrates_ChecksDrift_Smokes_ThenGivesTheNewRevisionAllTraffic()
    {
        var old = _h.Platform.Seed("api-staging", "local://api@sha256:api-t1", "t1");

        var result = await Deploy("api", "staging", "t2");

        Assert.True(result.Ok, result.Error);
        var revision = _h.Platform.Latest("api-staging");
        Assert.Equal([new TrafficAssignment(revision, 100)], _h.Platform.Traffic("api-staging"));
        Assert.Equal(
            [
                "check-image", "check-service", "check-permissions",
                "deploy-revision", "verify-service-image", "update-job-image", "verify-job-image", "execute-job", "check-drift", "smoke-check", "set-traffic", "remove-tags", "write-receipt",
            ],
            result.Steps.Select(s => s.Kind));
        Assert.Contains("Execute api-migrate-staging migrate", _h.Platform.Calls);
        // The smoke check reaches the new revision itself, before it has traffic.
        Assert.Contains($"Url api-staging {revision}", _h.Platform.Calls);
        Assert.Contains("GET /healthz auth=", _service.Requests);
        var receipt = Receipt(result);
        Assert.Equal("t2", receipt.GetProperty("tag").GetString());
        Assert.Equal("none", receipt.GetProperty("drift").GetString());
        Assert.Equal(old, receipt.GetProperty("rollback_to").GetString());
        Assert.Equal($"{old}=100", receipt.GetProperty("traffic_before").GetString());
        Assert.Equal("local://api@sha256:api-t2", receipt.GetProperty("deployed_image").GetString());
        var audit = _h.State.AuditRecords().Single(r => r.Action == "deploy");
        Assert.Equal(result.ReceiptPath, audit.Receipt);
        Assert.Contains("\"tag\":\"t2\"", audit.Inputs, StringComparison.Ordinal);
        // Each of the thirteen steps journaled before and after it ran, under the operation the audit record ends.
        Assert.Equal(26, _h.State.OperationOf(audit.Id).Count(j => j.Step is not null));
    }

    [Fact]
    public async Task TheTagTravels_ToThePlatformAndTheReceipt_NotGuessedFromTheImage()
    {
        // Two tags of byte-identical content: one digest.
        _h.Platform.Images["local://web:t2"] = "local://web@sha256:same";
        _h.Platform.Images["local://web:t3"] = "local://web@sha256:same";

        var second = await Deploy("web", "staging", "t2");
        var third = await Deploy("web", "staging", "t3");

        Assert.Contains(_h.Platform.Calls, c => c == "Deploy web-staging local://web@sha256:same tag=t2 noTraffic=True");
        Assert.Contains(_h.Platform.Calls, c => c == "Deploy web-staging local://web@sha256:same tag=t3 noTraffic=True");
        Assert.Equal("t2", Receipt(second).GetProperty("tag").GetString());
        Assert.Equal("t3", Receipt(third).GetProperty("tag").GetString());
        var status = (await new StatusOperation(_h.Workspace).RunAsync("web", "staging", CancellationToken.None)).Single();
        Assert.Equal(["t3", "t2"], status.Revisions.Select(r => r.Tag));
    }

    [Fact]
    public async Task AProductionDeploy_TakesNoTraffic_AndNeedsAGateForItsTag_OrAnOverrideRecordedOnce()
    {
        var serving = _h.Platform.Seed("web", "local://web@sha256:web-t1", "t1");

        var never = await Assert.ThrowsAsync<OperationException>(() => Deploy("web", "production", "t2"));
        _h.State.RecordGate("staging", "production", "t2", go: false, "evidence/1");
        var failed = await Assert.ThrowsAsync<OperationException>(() => Deploy("web", "production", "t2"));
        var overridden = await Deploy("web", "production", "t2", new ChangeOptions { GateOverride = "hotfix INC-42" });
        _h.State.RecordGate("staging", "production", "t3", go: true, "evidence/2", [new("web", "staging", "web-staging-00009-abc", "sha256:web-t3", "local://web@sha256:web-t3")]);
        var gated = await Deploy("web", "production", "t3");

        Assert.Equal(ExitCodes.Failed, never.ExitCode);
        Assert.Equal("tag t2 has not been through the gate from staging to production; run: deploymatrix gate --from staging --to production --tag t2 (or pass --override-gate --reason \"…\")", never.Message);
        Assert.StartsWith("tag t2 failed the gate at ", failed.Message, StringComparison.Ordinal);
        Assert.Contains("(evidence: evidence/1)", failed.Message, StringComparison.Ordinal);
        Assert.True(overridden.Ok && gated.Ok);
        Assert.Equal([new TrafficAssignment(serving, 100)], _h.Platform.Traffic("web"));
        var record = Assert.Single(_h.State.AuditRecords(), r => r.Action == "gate-override");
        Assert.Equal(("staging->production", "hotfix INC-42", "t2"), Inputs(record.Inputs, "gate", "reason", "tag"));
        Assert.DoesNotContain(_h.State.AuditRecords(), r => r.Action == "deploy" && r.Inputs.Contains("\"tag\":\"t2\"", StringComparison.Ordinal) && r.Result != "succeeded");
    }

    [Fact]
    public async Task APromotion_ComparesDigests_NotNames_AndNeedsTheGateToHaveCheckedTheLane()
    {
        // The gate approved t2 of web as sha256:other (what staging ran); t2 names sha256:web-t2 here.
        _h.State.RecordGate("staging", "production", "t2", go: true, "evidence/1", [new("web", "staging", "web-staging-00001-abc", "sha256:other", "local://web@sha256:other")]);
        var otherContent = await Assert.ThrowsAsync<OperationException>(() => Deploy("web", "production", "t2"));
        var uncheckedLane = await Assert.ThrowsAsync<OperationException>(() => Deploy("api", "production", "t2"));
        _h.State.RecordGate("staging", "production", "t3", go: true, "evidence/2", [new("web", "staging", "web-staging-00002-abc", "sha256:web-t3", "local://web@sha256:web-t3")]);
        _h.State.RebindTag("local", "web", "t3", "sha256:rebuilt", "local://web@sha256:rebuilt", "re-tagged sha256:web-t3 -> sha256:rebuilt: rebuilt");
        var voided = await Assert.ThrowsAsync<OperationException>(() => Deploy("web", "production", "t3"));

        Assert.Equal(
            "tag t2 of lane web names sha256:web-t2, but the gate approved sha256:other (web-staging-00001-abc in staging, evidence: evidence/1); only what ran in staging is promoted — run: deploymatrix gate --from staging --to production --tag t2 (or pass --override-gate --reason \"…\")",
            otherContent.Message);
        Assert.StartsWith("the gate's GO for tag t2 (", uncheckedLane.Message, StringComparison.Ordinal);
        Assert.EndsWith(") did not check lane api: no check of the gate names it in staging; add one to the matrix's gate and run it again, or pass --override-gate --reason \"…\"", uncheckedLane.Message, StringComparison.Ordinal);
        Assert.Contains("was voided: re-tagged sha256:web-t3 -> sha256:rebuilt: rebuilt;", voided.Message, StringComparison.Ordinal);
        Assert.All([otherContent, uncheckedLane, voided], e => Assert.Equal(ExitCodes.Failed, e.ExitCode));
        Assert.DoesNotContain(_h.Platform.Calls, c => c.StartsWith("Deploy web ", StringComparison.Ordinal) || c.StartsWith("Deploy api ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALegacyLane_IsFrozen_UnlessUnfrozenWithATicket_WhichIsRecordedFirst()
    {
        var frozen = await Assert.ThrowsAsync<OperationException>(() => Deploy("old", "staging", "t1"));

        Assert.Equal(ExitCodes.FrozenLegacy, frozen.ExitCode);
        Assert.Equal("lane 'old' is a frozen legacy lane (the old checkout); use a canonical lane: api, web (to proceed anyway: --unfreeze --change-ticket ID)", frozen.Message);
        Assert.Empty(_h.State.AuditRecords());
    }

    [Fact]
    public async Task AnUnfrozenLegacyLane_Deploys_AndTheUnfreezeIsAuditedBeforeTheDeploy()
    {
        using var h = new EngineHarness(EngineHarness.Matrix.Replace(
            "    description: the old checkout\n",
            "    description: the old checkout\n    build: { local: { command: \"true\", artifact: old } }\n    targets:\n      staging: { service: old-staging }\n",
            StringComparison.Ordinal));
        h.Platform.Images["local://old:t1"] = "local://old@sha256:old-t1";

        var frozen = await Assert.ThrowsAsync<OperationException>(() => new DeployOperation(h.Workspace).RunAsync("old", "staging", "t1", false, new ChangeOptions(), h.Reporter, CancellationToken.None));
        var unfrozen = await new DeployOperation(h.Workspace).RunAsync("old", "staging", "t1", false, new ChangeOptions { ChangeTicket = "CHG-9" }, h.Reporter, CancellationToken.None);

        Assert.Equal(ExitCodes.FrozenLegacy, frozen.ExitCode);
        Assert.True(unfrozen.Ok, unfrozen.Error);
        Assert.Equal([("unfreeze", "allowed"), ("deploy", "succeeded")], h.State.AuditRecords().Select(r => (r.Action, r.Result)));
        Assert.Equal("{\"change_ticket\":\"CHG-9\",\"what\":\"deploy of legacy lane old\"}", h.State.AuditRecords()[0].Inputs);
    }

    [Fact]
    public async Task BadInput_IsRefusedBeforeAnythingRuns()
    {
        var lane = await Assert.ThrowsAsync<OperationException>(() => Deploy("apj", "staging", "t1"));
        var env = await Assert.ThrowsAsync<OperationException>(() => Deploy("api", "stagng", "t1"));
        var gcloud = await Assert.ThrowsAsync<OperationException>(() => Deploy("web", "staging", "t1", new ChangeOptions { Gcloud = true }));
        var split = await Assert.ThrowsAsync<OperationException>(() => Traffic("web", "staging", ("a", 60), ("b", 30)));

        Assert.Equal((2, "unknown lane 'apj' (did you mean 'api'?)"), (lane.ExitCode, lane.Message));
        Assert.Equal((2, "lane 'api' has no target for environment 'stagng' (did you mean 'staging'?)"), (env.ExitCode, env.Message));
        Assert.Equal(2, gcloud.ExitCode);
        Assert.StartsWith("--executor gcloud carries out Cloud Run targets", gcloud.Message, StringComparison.Ordinal);
        Assert.Equal(2, split.ExitCode);
        Assert.DoesNotContain(_h.Platform.Calls, c => !c.StartsWith("Get", StringComparison.Ordinal));
        Assert.Empty(_h.State.AuditRecords());
    }

    [Fact]
    public async Task AFailedMigration_StopsTheDeployWithTheJobsExitCode_LeavingTrafficAlone_AndStillWritesAReceipt()
    {
        var old = _h.Platform.Seed("api-staging", "local://api@sha256:api-t1", "t1");
        _h.Platform.FailingJobs["api-migrate-staging"] = 3;

        var result = await Deploy("api", "staging", "t2");

        Assert.Equal(3, result.ExitCode);
        Assert.StartsWith("migration job api-migrate-staging failed (execution api-migrate-staging-00001, exit 3); logs: logs/api-migrate-staging", result.Error, StringComparison.Ordinal);
        Assert.Equal("execute-job", result.Steps[^1].Kind);
        Assert.Equal([new TrafficAssignment(old, 100)], _h.Platform.Traffic("api-staging"));
        Assert.Equal("failed", Receipt(result).GetProperty("result").GetString());
        Assert.StartsWith("failed: migration job", _h.State.AuditRecords().Single().Result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARevisionThatFailsItsSmokeCheck_NeverTakesTraffic()
    {
        var old = _h.Platform.Seed("api-staging", "local://api@sha256:api-t1", "t1");
        _service.Answers["/healthz"] = (503, "down", null);

        var result = await Deploy("api", "staging", "t2");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("smoke check GET /healthz answered 503, expected 200", result.Error);
        Assert.Equal([new TrafficAssignment(old, 100)], _h.Platform.Traffic("api-staging"));
    }

    [Fact]
    public async Task Rollback_ReturnsToTheRevisionThatServedBeforeTheLatestChange_OnAnyPlatform()
    {
        var first = _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        // A staging deploy gives its revision all traffic: the change began with the first serving all of it.
        Assert.True((await Deploy("web", "staging", "t2")).Ok);
        Assert.Equal(100, _h.Platform.Traffic("web-staging").Single(t => t.Revision == _h.Platform.Latest("web-staging")).Percent);

        var back = await new RollbackOperation(_h.Workspace).RunAsync("web", "staging", null, new ChangeOptions(), _h.Reporter, CancellationToken.None);

        Assert.True(back.Ok, back.Error);
        Assert.Equal([new TrafficAssignment(first, 100)], _h.Platform.Traffic("web-staging"));
        Assert.Equal($"{first}=100", back.Facts["traffic_after"]);
        // A rollback is not a change of its own: rolling back again would change nothing, and says so.
        var again = await new RollbackOperation(_h.Workspace).RunAsync("web", "staging", null, new ChangeOptions(), _h.Reporter, CancellationToken.None);
        Assert.Equal([new TrafficAssignment(first, 100)], _h.Platform.Traffic("web-staging"));
        Assert.Equal(
            (ExitCodes.Failed, $"{first}, the stable revision, already serves all traffic of web-staging: nothing to roll back; name another with --to (revisions that can: {_h.Platform.Latest("web-staging")})"),
            (again.ExitCode, again.Error));
    }

    [Fact]
    public async Task MigrateWithoutATag_RerunsTheServicesCurrentImage()
    {
        _h.Platform.Seed("api-staging", "local://api@sha256:api-t1", "t1");

        var result = await new MigrateOperation(_h.Workspace).RunAsync("api", "staging", null, new ChangeOptions(), _h.Reporter, CancellationToken.None);

        Assert.True(result.Ok, result.Error);
        Assert.Equal("local://api@sha256:api-t1", _h.Platform.Jobs["api-migrate-staging"]);
        Assert.Equal(["resolve-service-image", "update-job-image", "verify-job-image", "execute-job", "check-drift", "write-receipt"], result.Steps.Select(s => s.Kind));
    }

    [Fact]
    public async Task MigrateWithATag_ChecksItsImageFirst_AndAMissingOneLeavesTheJobAsItWas()
    {
        // The service runs t2 (deployed with no migration); the job still runs t1.
        _h.Platform.Seed("api-staging", "local://api@sha256:api-t2", "t2");
        _h.Platform.Jobs["api-migrate-staging"] = "local://api@sha256:api-t1";

        var missing = await new MigrateOperation(_h.Workspace).RunAsync("api", "staging", "t9", new ChangeOptions(), _h.Reporter, CancellationToken.None);
        var migrated = await new MigrateOperation(_h.Workspace).RunAsync("api", "staging", "t2", new ChangeOptions(), _h.Reporter, CancellationToken.None);

        Assert.False(missing.Ok);
        Assert.Equal("check-image", missing.Steps.Single(s => !s.Ok).Kind);
        Assert.DoesNotContain(missing.Steps, s => s.Kind is "update-job-image" or "execute-job");
        // The image was looked up, and nothing else was asked of the platform about it.
        Assert.Equal(["ResolveImage local://api:t9"], _h.Platform.Calls.Where(c => c.Contains("t9", StringComparison.Ordinal)));
        Assert.True(migrated.Ok, migrated.Error);
        Assert.Equal(["check-image", "check-permissions", "update-job-image", "verify-job-image", "execute-job", "check-drift", "write-receipt"], migrated.Steps.Select(s => s.Kind));
        Assert.Equal("local://api@sha256:api-t2", _h.Platform.Jobs["api-migrate-staging"]);
    }

    [Fact]
    public async Task ADeployStoppedByASignal_FinishesItsStep_StopsBeforeTheNext_AndRecordsTheCancel()
    {
        var stable = _h.Platform.Seed("api-staging", "local://api@sha256:api-t1", "t1");
        _service.Delay = TimeSpan.FromSeconds(1);
        using var stop = new CancellationTokenSource();

        var deploy = new DeployOperation(_h.Workspace).RunAsync("api", "staging", "t2", false, new ChangeOptions(), _h.Reporter, stop.Token);
        while (!_service.Requests.Any(r => r.StartsWith("GET /healthz", StringComparison.Ordinal)))
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();

        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => deploy);
        var audit = _h.State.AuditRecords().Single();
        // The smoke check it was in ran to its end; the traffic step never started.
        Assert.Equal("cancelled before step 11: set traffic of api-staging: new revision 100%", cancelled.Message);
        Assert.Equal(("cancelled", cancelled.Message), (audit.Result.Split(':')[0].Split(' ')[0], audit.Result));
        Assert.Contains("\"error\": \"cancelled before step 11", File.ReadAllText(audit.Receipt!), StringComparison.Ordinal);
        Assert.Equal([new TrafficAssignment(stable, 100)], _h.Platform.Traffic("api-staging"));
        Assert.Empty(_h.State.UnfinishedOperations());
        Assert.False(_h.Workspace.Locks.Holds("api", "staging"));
    }

    /// <summary>The tag built: bound to its content and resolvable.</summary>
    private void Built(string lane, string tag)
    {
        var image = $"local://{lane}@sha256:{lane}-{tag}";
        _h.State.BindTag("local", lane, tag, $"sha256:{lane}-{tag}", image);
        _h.Platform.Images[$"local://{lane}:{tag}"] = image;
    }

    private Task<Engine.Execution.ExecutionResult> Deploy(string lane, string env, string tag, ChangeOptions? options = null) =>
        new DeployOperation(_h.Workspace).RunAsync(lane, env, tag, noTraffic: false, options ?? new ChangeOptions(), _h.Reporter, CancellationToken.None);

    private Task<Engine.Execution.ExecutionResult> Traffic(string lane, string env, params (string Revision, int Percent)[] splits) =>
        new TrafficOperation(_h.Workspace).RunAsync(lane, env, splits, new ChangeOptions(), _h.Reporter, CancellationToken.None);

    private static (string?, string?, string?) Inputs(string json, string a, string b, string c)
    {
        var inputs = JsonDocument.Parse(json).RootElement;
        return (inputs.GetProperty(a).GetString(), inputs.GetProperty(b).GetString(), inputs.GetProperty(c).GetString());
    }

    private static JsonElement Receipt(Engine.Execution.ExecutionResult result) => JsonDocument.Parse(File.ReadAllText(result.ReceiptPath!)).RootElement;
}
