using System.Text.Json;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// The example matrix's Cloud Run targets, driven by the real commands against the Cloud Run double
/// (which holds every call to Google's API definitions): the seed's deploys, migrations and traffic.
/// </summary>
public sealed class CloudRunCliTests : CloudRunExampleTests
{
    [Fact]
    public void StagingDeploy_RunsTheMigrationWithTheSameImage_ChecksDrift_AndSmokes()
    {
        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222");

        Assert.True(run.ExitCode == 0, run.ToString());
        var image = $"{Registry}/runtime/runtime:bbb2222";
        var service = Google.Service("projects/openagentsgemini/locations/us-central1/services/runtime-staging");
        Assert.Equal(image, service["template"]!["containers"]![0]!["image"]!.GetValue<string>());
        var job = Google.Job("projects/openagentsgemini/locations/us-central1/jobs/runtime-migrate-staging");
        Assert.Equal(image, job["template"]!["template"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal("EXECUTION_SUCCEEDED", job["latestCreatedExecution"]!["completionStatus"]!.GetValue<string>());
        Assert.Contains(Google.Calls, c => c == "app GET /readyz");
        var receipt = Receipt(run);
        Assert.Equal("cloudrun", receipt.GetProperty("platform").GetString());
        Assert.Equal(image, receipt.GetProperty("deployed_image").GetString());
        Assert.Equal("none", receipt.GetProperty("drift").GetString());
    }

    [Fact]
    public void Status_WithOneServiceMissing_ShowsTheOthers_NamesTheMissingOne_AndFails()
    {
        // The matrix names a service nobody created in that region (a typo, or one deleted by hand).
        var matrix = Path.Combine(Dir.Path, "deploymatrix.yaml");
        File.WriteAllText(matrix, File.ReadAllText(matrix).Replace("service: runtime-staging,", "service: runtime-stg,", StringComparison.Ordinal));
        const string Missing = "Cloud Run service runtime-stg does not exist in openagentsgemini/us-central1; create it once (gcloud run deploy) before DeployMatrix manages its revisions";

        var text = Cli("status");
        var json = Cli("status", "--output", "json");

        // Under --platform cloudrun the wallet executor's local targets are looked for on Cloud Run too, where the double has none.
        string[] absent = ["runtime-stg", "lightning-wallet-executor-staging", "lightning-wallet-executor"];
        Assert.True(text.ExitCode == 1, text.ToString());
        Assert.Contains($"deploymatrix: {Missing}", text.ErrLines);
        Assert.Equal(absent.Order(), text.ErrLines.Select(l => l.Split(' ')[4]).Order());
        Assert.Contains("runtime-stg (runtime, staging): not found on cloudrun", text.OutLines);
        foreach (var present in new[] { "runtime", "openagents-control-service", "openagents-control-service-staging" })
        {
            Assert.Contains(text.OutLines, l => l.StartsWith($"{present} (", StringComparison.Ordinal) && l.Contains(" on http", StringComparison.Ordinal));
        }

        Assert.Equal(1, json.ExitCode);
        var services = OutputSchemas.AssertValid("status", json).GetProperty("services").EnumerateArray().ToList();
        Assert.Equal(6, services.Count);
        var missing = services.Where(s => s.TryGetProperty("problem", out _)).ToList();
        Assert.Equal(absent.Order(), missing.Select(s => s.GetProperty("service").GetString()).Order());
        var stg = missing.Single(s => s.GetProperty("service").GetString() == "runtime-stg");
        Assert.Equal(("runtime", "staging", Missing), (stg.GetProperty("lane").GetString(), stg.GetProperty("env").GetString(), stg.GetProperty("problem").GetString()));
        Assert.All(services.Except(missing), s => Assert.Equal(100, s.GetProperty("traffic")[0].GetProperty("percent").GetInt32()));
    }

    [Fact]
    public void AStagingRollback_ReturnsToTheRevisionBeforeTheDeploy_AndASecondChangesNothing()
    {
        var before = Status("runtime", "staging").GetProperty("traffic")[0].GetProperty("revision").GetString()!;
        Assert.Equal(0, Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222").ExitCode);
        var deployed = Status("runtime", "staging");
        Assert.Equal(deployed.GetProperty("latest_created_revision").GetString(), deployed.GetProperty("traffic")[0].GetProperty("revision").GetString());

        var rollback = Cli("rollback", "runtime", "--env", "staging");
        var again = Cli("rollback", "runtime", "--env", "staging");

        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        var back = Status("runtime", "staging").GetProperty("traffic");
        Assert.Equal((1, before), (back.GetArrayLength(), back[0].GetProperty("revision").GetString()));
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains($"{before}, the stable revision, already serves all traffic of runtime-staging: nothing to roll back", again.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_SubmitsTheLanesCloudBuildConfigWithTheTag_AndPrintsTheLogUrlAndTheDigest()
    {
        // The example's config logs to Cloud Logging only: its log streams from there.
        var run = Cli("build", "runtime", "--tag", "bbb2222");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"pushed us-central1-docker\.pkg\.dev/openagentsgemini/runtime/runtime:bbb2222@sha256:[0-9a-f]{64}", run.Out);
        Assert.Matches(@"build [0-9a-f-]{36} succeeded; logs: https://console\.cloud\.google\.com/cloud-build/builds/", run.Out);
        var build = Assert.Single(Google.Builds);
        Assert.Equal("bbb2222", build["substitutions"]!["_TAG"]!.GetValue<string>());
        var source = build["source"]!["storageSource"]!;
        Assert.Equal("openagentsgemini_cloudbuild", source["bucket"]!.GetValue<string>());
        Assert.True(Google.Objects.ContainsKey($"openagentsgemini_cloudbuild/{source["object"]!.GetValue<string>()}"));
        var id = build["id"]!.GetValue<string>();
        Assert.Contains($"streaming the build's log from Cloud Logging projects/openagentsgemini/logs/cloudbuild (build {id})", run.Out, StringComparison.Ordinal);
        var streamed = run.Out.ReplaceLineEndings("\n").Split('\n').Where(l => l.StartsWith("  │ ", StringComparison.Ordinal)).Select(l => l["  │ ".Length..]);
        Assert.Equal(Google.BuildLogEntryLines(id), streamed);
        var history = CliRun.Invoke(Dir.Path, "history", "runtime");
        Assert.Contains("build", history.Out, StringComparison.Ordinal);
        Assert.Contains("succeeded", history.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_StreamsTheBuildsLog_EveryLineInOrder_OnStderrUnderOutputJson()
    {
        // The example's configs log to Cloud Logging only; without that option Cloud Build writes log-BUILD_ID.txt.
        var config = Path.Combine(Dir.Path, "apps", "runtime", "deploy", "cloudbuild.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("options:\n  logging: CLOUD_LOGGING_ONLY\n", "", StringComparison.Ordinal));

        var run = Cli("build", "runtime", "--tag", "bbb2222", "--output", "json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Out); // stdout holds the document alone
        var id = Assert.Single(Google.Builds)["id"]!.GetValue<string>();
        var streamed = run.Err.ReplaceLineEndings("\n").Split('\n').Where(l => l.StartsWith("  │ ", StringComparison.Ordinal)).Select(l => l["  │ ".Length..]);
        Assert.Equal(Google.BuildLogText(id).TrimEnd('\n').Split('\n'), streamed);
        Assert.Contains("Step #0: build -t us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:bbb2222", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void AFailedBuild_ExitsOne_WithTheLogUrl_AndIsAudited()
    {
        Google.BuildFailure = _ => "Build step 0 \"gcr.io/cloud-builders/docker\" failed: step exited with non-zero status: 1";

        var run = Cli("build", "runtime", "--tag", "bbb2222");

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"deploymatrix: build [0-9a-f-]{36} ended FAILURE: .*; logs: https://console\.cloud\.google\.com/cloud-build/builds/", run.Err);
        Assert.DoesNotContain("   at ", run.Err, StringComparison.Ordinal);
        Assert.Contains("failed: build", CliRun.Invoke(Dir.Path, "history", "runtime").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void ANoTrafficProductionDeploy_TakesNoTraffic_ThenTrafficMovesAndRollsBack()
    {
        var before = Status("runtime", "production");
        var stable = before.GetProperty("traffic")[0].GetProperty("revision").GetString()!;

        var deploy = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--override-gate", "--reason", "test of the Cloud Run path");
        var deployed = Status("runtime", "production");
        var canary = deployed.GetProperty("latest_created_revision").GetString()!;
        var split = Cli("traffic", "runtime", "--env", "production", "--to", $"{stable}=95,{canary}=5");
        var splitStatus = Status("runtime", "production");
        var rollback = Cli("rollback", "runtime", "--env", "production");

        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Equal(stable, deployed.GetProperty("traffic")[0].GetProperty("revision").GetString());
        Assert.Equal(1, deployed.GetProperty("traffic").GetArrayLength());
        Assert.True(split.ExitCode == 0, split.ToString());
        Assert.Equal(2, splitStatus.GetProperty("traffic").GetArrayLength());
        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        var back = Status("runtime", "production").GetProperty("traffic");
        Assert.Equal(1, back.GetArrayLength());
        Assert.Equal(stable, back[0].GetProperty("revision").GetString());
    }

    [Theory]
    [InlineData(0.0, 0, "rollout complete")]
    [InlineData(0.05, 1, "rollout failed — stage 5% failed: 5xx rate: canary ")]
    public void Rollout_JudgesTheCanaryOnCloudMonitoringsRequestMetrics(double canaryErrorRate, int exitCode, string expected)
    {
        UseFakeClock();
        Assert.Equal(0, Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--override-gate", "--reason", "test").ExitCode);
        var status = Status("runtime", "production");
        var stable = status.GetProperty("traffic")[0].GetProperty("revision").GetString()!;
        var canary = status.GetProperty("latest_created_revision").GetString()!;
        Google.RevisionBehaviour[canary] = (canaryErrorRate, 4);
        Google.SimulateLoad("projects/openagentsgemini/locations/us-central1/services/runtime", perSecond: 100);

        var rollout = Cli("rollout", "runtime", "--env", "production", "--window", "3m", "--override-gate", "--reason", "test");

        Assert.True(rollout.ExitCode == exitCode, rollout.ToString());
        Assert.True(rollout.ToString().Contains(expected, StringComparison.Ordinal), rollout.ToString());
        var traffic = Status("runtime", "production").GetProperty("traffic");
        Assert.Equal(1, traffic.GetArrayLength());
        Assert.Equal(exitCode == 0 ? canary : stable, traffic[0].GetProperty("revision").GetString());
        Assert.Contains(Google.Calls, c => c.StartsWith("GET /v3/projects/openagentsgemini/timeSeries", StringComparison.Ordinal));
    }

    [Fact]
    public void TheSeedsCanaryDrill_RunsOnCloudRun_AndReportsItsProjectRegionAndService()
    {
        Assert.Equal(0, Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--override-gate", "--reason", "test").ExitCode);
        var stable = Status("runtime", "production").GetProperty("traffic")[0].GetProperty("revision").GetString()!;
        Google.SimulateLoad("projects/openagentsgemini/locations/us-central1/services/runtime", perSecond: 5000);
        var report = Path.Combine(Dir.Path, "drill");

        var run = Cli("drill", "canary", "runtime", "--env", "production", "--steps", "5,50", "--dwell", "300ms", "--out", report);

        Assert.True(run.ExitCode == 0, run.ToString());
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "summary.json"))).RootElement;
        Assert.Equal("openagentsgemini", summary.GetProperty("project").GetString());
        Assert.Equal("us-central1", summary.GetProperty("region").GetString());
        Assert.Equal("runtime", summary.GetProperty("service").GetString());
        Assert.Equal("pass", summary.GetProperty("overall_status").GetString());
        var traffic = Status("runtime", "production").GetProperty("traffic");
        Assert.Equal(1, traffic.GetArrayLength());
        Assert.Equal(stable, traffic[0].GetProperty("revision").GetString());
    }

    [Fact]
    public void ADryRunDrill_WritesTheReportWithTheGcloudCommands_AndSendsGoogleNothing()
    {
        Assert.Equal(0, Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--override-gate", "--reason", "test").ExitCode);
        var stable = Status("runtime", "production").GetProperty("traffic")[0].GetProperty("revision").GetString()!;
        var calls = Google.Calls.Count;
        var report = Path.Combine(Dir.Path, "drill");

        var run = Cli("drill", "canary", "runtime", "--env", "production", "--steps", "5", "--dry-run", "--out", report);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(calls, Google.Calls.Count);
        Assert.Contains($"  traffic-5      deploymatrix traffic runtime --env production --to {stable}=95,CANARY=5", run.Out, StringComparison.Ordinal);
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "summary.json"))).RootElement;
        Assert.True(summary.GetProperty("dry_run").GetBoolean());
        Assert.Equal(("openagentsgemini", "us-central1", "runtime"), (summary.GetProperty("project").GetString(), summary.GetProperty("region").GetString(), summary.GetProperty("service").GetString()));
        var log = File.ReadAllText(Path.Combine(report, "logs", "traffic-5.log"));
        Assert.Contains($"gcloud run services update-traffic runtime --project openagentsgemini --region us-central1 --to-revisions {stable}=95,CANARY=5", log, StringComparison.Ordinal);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(report, "step-results.jsonl")).Length); // status-pre, traffic-5, rollback, status-post
        Assert.Equal(stable, Status("runtime", "production").GetProperty("traffic")[0].GetProperty("revision").GetString());
    }

    [Fact]
    public void ATagPushedAgainOutsideDeployMatrix_FailsTheDeploy_BeforeTheMigration_AndTrafficStaysPut()
    {
        Assert.Equal(0, Cli("build", "runtime", "--tag", "bbb2222").ExitCode); // binds the tag to what Cloud Build pushed
        var before = Status("runtime", "production").GetProperty("traffic").ToString();
        var bound = Google.DigestOf($"{Registry}/runtime/runtime:bbb2222");
        var other = "sha256:" + new string('e', 64);
        Google.Push($"{Registry}/runtime/runtime:bbb2222", other); // Cloud Run resolves the tag to this now

        // With no traffic: a direct deploy (the runtime's production policy) serves the revision before it is verified.
        var run = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--override-gate", "--reason", "test");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"runs {Registry}/runtime/runtime@{other}, not the content {Registry}/runtime/runtime:bbb2222 is bound to ({bound})", run.Err, StringComparison.Ordinal);
        Assert.Equal(before, Status("runtime", "production").GetProperty("traffic").ToString());
        var job = Google.Job("projects/openagentsgemini/locations/us-central1/jobs/runtime-migrate");
        Assert.Equal($"{Registry}/runtime/runtime:aaa1111", job["template"]!["template"]!["containers"]![0]!["image"]!.GetValue<string>());
    }

    [Fact]
    public void ATagBuiltElsewhere_IsBoundAtItsFirstDeploy_ToTheDigestCloudRunResolvedItTo()
    {
        var image = $"{Registry}/runtime/runtime:bbb2222";
        var first = Google.DigestOf(image); // pushed by another CI, never built here
        Assert.Equal(0, Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222").ExitCode);
        Google.Push(image, "sha256:" + new string('d', 64));

        var run = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"not the content {image} is bound to ({first})", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void AFailedMigration_StopsTheDeploy_WithTheJobsStatus_AndWhereItsLogsAre()
    {
        Google.FailingJobs["runtime-migrate-staging"] = true;

        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("https://console.cloud.google.com/logs/viewer?", run.ToString(), StringComparison.Ordinal);
        Assert.Matches(@"gcloud logging read 'resource\.type=""cloud_run_job"" AND labels\.""run\.googleapis\.com/execution_name""=""runtime-migrate-staging-[a-z0-9]+""' --project openagentsgemini --limit 100", run.Err);
        Assert.DoesNotContain("smoke check", run.Out.Split("failed")[^1], StringComparison.Ordinal);
    }
}
