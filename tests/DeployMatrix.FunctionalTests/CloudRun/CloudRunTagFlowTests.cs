using System.Text.Json.Nodes;
using DeployMatrix.Tests.GoogleDouble;
using Microsoft.AspNetCore.Http;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// Every revision is checked before it takes traffic: a deploy creates it with no traffic and a release
/// tag, migrates it and smoke-checks the tag's URL (which reaches only that revision), and only then moves
/// traffic. Driven through the real commands against the double, whose traffic history and served
/// requests show who reached which revision, and when.
/// </summary>
public sealed class CloudRunTagFlowTests : CloudRunExampleTests
{
    private const string Runtime = "projects/openagentsgemini/locations/us-central1/services/runtime";
    private const string RuntimeStaging = "projects/openagentsgemini/locations/us-central1/services/runtime-staging";

    [Fact]
    public void AStagingDeployWhoseTagUrlFailsItsSmokeCheck_NeverGivesTheNewRevisionTraffic()
    {
        var before = Serving("runtime-staging");
        Google.App = context => Fails(context, revision => revision != before);

        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("smoke check GET /healthz answered 500", run.Err, StringComparison.Ordinal);
        var created = Google.Service(RuntimeStaging)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.NotEqual(before, created);
        // 0% throughout: every split the service ever routed by gave the new revision nothing.
        Assert.All(Google.TrafficHistory("runtime-staging"), split => Assert.DoesNotContain(split, s => s.Revision == created));
        Assert.Equal(before, Serving("runtime-staging"));
        // The smoke check reached the new revision, through its tag's URL only.
        var checks = Google.Served.Where(r => r.Revision == created).ToList();
        Assert.NotEmpty(checks);
        Assert.All(checks, r => Assert.Equal("dm-bbb2222", r.Tag));
    }

    [Fact]
    public void AStagingDeployWhoseMigrationFails_LeavesThePreviousRevisionServing()
    {
        var before = Serving("runtime-staging");
        Google.FailingJobs["runtime-migrate-staging"] = true;

        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222");

        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains("migration job runtime-migrate-staging failed", run.Err, StringComparison.Ordinal);
        Assert.Equal(before, Serving("runtime-staging"));
        var created = Google.Service(RuntimeStaging)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.All(Google.TrafficHistory("runtime-staging"), split => Assert.DoesNotContain(split, s => s.Revision == created));
        Assert.DoesNotContain(Google.Served, r => r.Revision == created); // not smoke-checked: the migration came first
    }

    [Fact]
    public void AProductionNoTrafficDeploy_IsSmokeCheckedOnItsTagUrl_AndStillTakesNoTraffic()
    {
        var before = Serving("runtime");

        var run = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--override-gate", "--reason", "test");

        Assert.True(run.ExitCode == 0, run.ToString());
        var created = Google.Service(Runtime)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.Equal(["/healthz", "/readyz"], Google.Served.Where(r => r.Revision == created && r.Tag == "dm-bbb2222").Select(r => r.Path));
        Assert.Equal(before, Serving("runtime"));
        var tagged = Google.Service(Runtime)["trafficStatuses"]!.AsArray().Single(t => t!["tag"]?.GetValue<string>() == "dm-bbb2222")!;
        Assert.Equal((created, 0), (tagged["revision"]!.GetValue<string>(), tagged["percent"]!.GetValue<int>()));
        Assert.StartsWith("http://127.0.0.1:", tagged["uri"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARolloutWhoseCanaryFailsAtTheZeroStage_EndsFailed_WithNoUserRequestSentToIt()
    {
        UseFakeClock();
        var stable = Serving("runtime");
        Assert.Equal(0, Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--override-gate", "--reason", "test").ExitCode);
        var canary = Google.Service(Runtime)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Google.SimulateLoad(Runtime, 100);
        // The canary breaks after its deploy: the rollout's first stage must find it before any user does.
        Google.App = context => Fails(context, revision => revision == canary);
        using var users = new HttpClient();
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("ok", await users.GetStringAsync(Google.Service(Runtime)["uri"]!.GetValue<string>() + "/"));
        }

        var rollout = Cli("rollout", "runtime", "--env", "production", "--window", "3m", "--override-gate", "--reason", "test");

        Assert.True(rollout.ExitCode == 1, rollout.ToString());
        Assert.Contains($"stage 0% failed: canary {canary} failed its smoke check on its own URL before taking traffic", rollout.ToString(), StringComparison.Ordinal);
        Assert.All(Google.TrafficHistory("runtime"), split => Assert.DoesNotContain(split, s => s.Revision == canary));
        Assert.DoesNotContain(Google.Served, r => r.Revision == canary && r.Tag is null); // no user request reached it
        Assert.Equal(20, Google.Served.Count(r => r.Revision == stable && r.Tag is null));
        Assert.Equal(stable, Serving("runtime"));
    }

    [Fact]
    public void ACanaryThatPassesItsSmokeChecks_ButNotTheGatesChecksOfItsLane_FailsTheZeroStage()
    {
        UseFakeClock();
        const string Control = "projects/openagentsgemini/locations/us-central1/services/openagents-control-service";
        var stable = Status("openagents-control-service", "production").GetProperty("traffic")[0].GetProperty("revision").GetString()!;
        ServeTheExampleApps();
        // Under the stepped clock the verify's cargo test would outlive its timeout in an instant; this test is about the 0% stage.
        var deployed = Cli("deploy", "openagents-control-service", "--env", "production", "--tag", "bbb2222", "--override-gate", "--skip-verify", "--reason", "test");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
        var canary = Google.Service(Control)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Google.SimulateLoad(Control, 100);
        // The canary answers its smoke checks, but serves the manifest without 'cache-control: no-cache',
        // which the gate's check of the lane (control-manifest-cache) asks for; the lane says gate-checks: true.
        var example = Google.App;
        Google.App = context => CloudRunDouble.RevisionOf(context) == canary && context.Request.Path == "/manifest.json"
            ? context.Response.WriteAsync("{}")
            : example!(context);

        var rollout = Cli("rollout", "openagents-control-service", "--env", "production", "--window", "3m", "--override-gate", "--reason", "test");

        Assert.True(rollout.ExitCode == 1, rollout.ToString());
        Assert.True(rollout.ToString().Contains($"stage 0% failed: canary {canary} failed the gate's check on its own URL before taking traffic: control-manifest-cache failed: /manifest.json header cache-control is '(missing)'", StringComparison.Ordinal), rollout.ToString());
        // The gate's checks went to the canary through its tag only, in production (the check names staging).
        Assert.Contains(Google.Served, r => r.Revision == canary && r.Tag == "dm-bbb2222" && r.Path == "/api/v1/control/status");
        Assert.Contains(Google.Served, r => r.Revision == canary && r.Tag == "dm-bbb2222" && r.Path == "/manifest.json");
        Assert.DoesNotContain(Google.Served, r => r.Revision == canary && r.Tag is null);
        Assert.All(Google.TrafficHistory("openagents-control-service"), split => Assert.DoesNotContain(split, s => s.Revision == canary));
        Assert.Equal(stable, Status("openagents-control-service", "production").GetProperty("traffic")[0].GetProperty("revision").GetString());
        var logs = Directory.GetFiles(Path.Combine(Dir.Path, ".deploymatrix", "evidence", "canary"), "control-manifest-cache.log", SearchOption.AllDirectories);
        Assert.Contains("=> failed:", File.ReadAllText(Assert.Single(logs)), StringComparison.Ordinal);
    }

    [Fact]
    public void ATeamsTag_SurvivesDeployTrafficRollbackAndRollout()
    {
        UseFakeClock();
        var stable = Serving("runtime");
        Google.Service(Runtime)["traffic"]!.AsArray().Add(new JsonObject { ["type"] = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", ["revision"] = stable, ["percent"] = 0, ["tag"] = "qa" });
        Google.Service(Runtime)["trafficStatuses"]!.AsArray().Add(new JsonObject { ["type"] = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", ["revision"] = stable, ["percent"] = 0, ["tag"] = "qa" });

        Assert.Equal(0, Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--override-gate", "--reason", "test").ExitCode);
        Assert.Equal(stable, QaTagged());
        var canary = Google.Service(Runtime)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.Equal(0, Cli("traffic", "runtime", "--env", "production", "--to", $"{stable}=90,{canary}=10").ExitCode);
        Assert.Equal(stable, QaTagged());
        Assert.Equal(0, Cli("rollback", "runtime", "--env", "production").ExitCode);
        Assert.Equal(stable, QaTagged());
        Google.SimulateLoad(Runtime, 100);
        var rollout = Cli("rollout", "runtime", "--env", "production", "--window", "3m", "--override-gate", "--reason", "test");
        Assert.True(rollout.ExitCode == 0, rollout.ToString());

        Assert.Equal(canary, Serving("runtime"));
        Assert.Equal(stable, QaTagged());
        Assert.Equal(canary, Google.Service(Runtime)["trafficStatuses"]!.AsArray().Single(t => t!["tag"]?.GetValue<string>() == "dm-bbb2222")!["revision"]!.GetValue<string>());
    }

    /// <summary>The one revision serving all of the service's traffic now.</summary>
    private string Serving(string service)
    {
        var traffic = Status(service == "runtime" ? "runtime" : "runtime", service == "runtime" ? "production" : "staging").GetProperty("traffic");
        Assert.Equal(1, traffic.GetArrayLength());
        return traffic[0].GetProperty("revision").GetString()!;
    }

    private string? QaTagged() =>
        Google.Service(Runtime)["trafficStatuses"]!.AsArray().SingleOrDefault(t => t!["tag"]?.GetValue<string>() == "qa")?["revision"]?.GetValue<string>();

    /// <summary>Answers 500 from the revisions <paramref name="broken"/> picks, "ok" from the others.</summary>
    private static Task Fails(HttpContext context, Func<string, bool> broken)
    {
        if (broken(CloudRunDouble.RevisionOf(context)))
        {
            context.Response.StatusCode = 500;
            return context.Response.WriteAsync("broken");
        }

        return context.Response.WriteAsync("ok");
    }
}
