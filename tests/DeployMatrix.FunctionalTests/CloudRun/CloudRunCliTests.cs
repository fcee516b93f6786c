using System.Security.Cryptography;
using System.Text.Json;
using DeployMatrix.Tests.GoogleDouble;
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
        var run = Cli("build", "runtime", "--tag", "bbb2222");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"pushed us-central1-docker\.pkg\.dev/openagentsgemini/runtime/runtime:bbb2222@sha256:[0-9a-f]{64}", run.Out);
        Assert.Matches(@"build [0-9a-f-]{36} succeeded; logs: https://console\.cloud\.google\.com/cloud-build/builds/", run.Out);
        var build = Assert.Single(Google.Builds);
        Assert.Equal("bbb2222", build["substitutions"]!["_TAG"]!.GetValue<string>());
        var source = build["source"]!["storageSource"]!;
        Assert.Equal("openagentsgemini_cloudbuild", source["bucket"]!.GetValue<string>());
        Assert.True(Google.Objects.ContainsKey($"openagentsgemini_cloudbuild/{source["object"]!.GetValue<string>()}"));
        var history = CliRun.Invoke(Dir.Path, "history", "runtime");
        Assert.Contains("build", history.Out, StringComparison.Ordinal);
        Assert.Contains("succeeded", history.Out, StringComparison.Ordinal);
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
    public void Maintenance_KeepsTheTokenInSecretManager_TellsTheServiceThroughItsEnvironment_AndDisableRestoresTheSplit()
    {
        const string Name = "projects/openagentsgemini/locations/us-central1/services/runtime";
        var deploy = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "maintenance test");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var split = Google.Service(Name)["traffic"]!.ToJsonString();
        var servingImage = $"{Registry}/runtime/runtime@{Google.DigestOf($"{Registry}/runtime/runtime:aaa1111")}"; // by digest, as the serving revision reports it

        var enable = Cli("maintenance", "enable", "runtime", "--env", "production", "--message", "ledger migration");

        Assert.True(enable.ExitCode == 0, enable.ToString());
        var secret = Assert.Single(Google.Secrets);
        Assert.Equal("projects/openagentsgemini/secrets/runtime-maintenance-token", secret);
        var token = System.Text.Encoding.UTF8.GetString(Assert.Single(Google.SecretVersions[secret]));
        Assert.Equal(43, token.Length);
        Assert.DoesNotContain(token, enable.Out + enable.Err, StringComparison.Ordinal);
        Assert.Contains("gcloud secrets versions access latest --secret runtime-maintenance-token --project openagentsgemini", enable.Out, StringComparison.Ordinal);
        // The revision reads the token as the service's own identity, so that identity was granted access to it.
        Assert.Equal(["serviceAccount:runtime@openagentsgemini.iam.gserviceaccount.com"], Google.SecretMembers(secret, "roles/secretmanager.secretAccessor"));
        var service = Google.Service(Name);
        var container = service["template"]!["containers"]![0]!;
        Assert.Equal(servingImage, container["image"]!.GetValue<string>()); // what served, not the no-traffic revision's image
        var env = container["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!);
        Assert.Equal("info", env["RUST_LOG"]["value"]!.GetValue<string>()); // the service's own settings stay
        Assert.Equal("1", env["DEPLOYMATRIX_MAINTENANCE"]["value"]!.GetValue<string>());
        Assert.Equal("ledger migration", env["DEPLOYMATRIX_MAINTENANCE_MESSAGE"]["value"]!.GetValue<string>());
        Assert.Equal("production/runtime", env["DEPLOYMATRIX_MAINTENANCE_SCOPE"]["value"]!.GetValue<string>());
        Assert.Equal(secret, env["DEPLOYMATRIX_MAINTENANCE_TOKEN"]["valueSource"]!["secretKeyRef"]!["secret"]!.GetValue<string>());
        Assert.Equal("TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", service["traffic"]![0]!["type"]!.GetValue<string>());
        Assert.Contains("in maintenance since", Cli("maintenance", "status", "runtime", "--env", "production").Out, StringComparison.Ordinal);
        var refused = Cli("traffic", "runtime", "--env", "production", "--to", "runtime-00001-abc=100");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("runtime (production) is in maintenance since", refused.Err, StringComparison.Ordinal);

        var disable = Cli("maintenance", "disable", "runtime", "--env", "production");

        Assert.True(disable.ExitCode == 0, disable.ToString());
        service = Google.Service(Name);
        container = service["template"]!["containers"]![0]!;
        Assert.Equal($"{Registry}/runtime/runtime:bbb2222", container["image"]!.GetValue<string>()); // the pending deploy's template again
        Assert.DoesNotContain(container["env"]!.AsArray(), e => e!["name"]!.GetValue<string>().StartsWith("DEPLOYMATRIX_", StringComparison.Ordinal));
        Assert.Equal(split, service["traffic"]!.ToJsonString());
        Assert.Contains("serving (not in maintenance)", Cli("maintenance", "status", "runtime", "--env", "production").Out, StringComparison.Ordinal);
        Assert.Single(Google.SecretVersions[secret]); // enabling again would reuse the token, not mint another
    }

    [Fact]
    public void ProductionDeploy_TakesNoTraffic_ThenTrafficMovesAndRollsBack()
    {
        var before = Status("runtime", "production");
        var stable = before.GetProperty("traffic")[0].GetProperty("revision").GetString()!;

        var deploy = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test of the Cloud Run path");
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
        Assert.Equal(0, Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test").ExitCode);
        var status = Status("runtime", "production");
        var stable = status.GetProperty("traffic")[0].GetProperty("revision").GetString()!;
        var canary = status.GetProperty("latest_created_revision").GetString()!;
        Google.RevisionBehaviour[canary] = (canaryErrorRate, 4);
        Google.SimulateLoad("projects/openagentsgemini/locations/us-central1/services/runtime", perTick: 100);

        var rollout = Cli("rollout", "runtime", "--env", "production", "--window", "1s", "--override-gate", "--reason", "test");

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
        Assert.Equal(0, Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test").ExitCode);
        var stable = Status("runtime", "production").GetProperty("traffic")[0].GetProperty("revision").GetString()!;
        Google.SimulateLoad("projects/openagentsgemini/locations/us-central1/services/runtime", perTick: 50);
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
    public void ATagPushedAgainOutsideDeployMatrix_FailsTheDeploy_BeforeTheMigration_AndTrafficStaysPut()
    {
        Assert.Equal(0, Cli("build", "runtime", "--tag", "bbb2222").ExitCode); // binds the tag to what Cloud Build pushed
        var before = Status("runtime", "production").GetProperty("traffic").ToString();
        var bound = Google.DigestOf($"{Registry}/runtime/runtime:bbb2222");
        var other = "sha256:" + new string('e', 64);
        Google.Push($"{Registry}/runtime/runtime:bbb2222", other); // Cloud Run resolves the tag to this now

        var run = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test");

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
    public void AMaintenanceEnableWhoseRevisionFails_PutsTheTemplateAndTheSplitBack()
    {
        const string Name = "projects/openagentsgemini/locations/us-central1/services/runtime";
        Assert.Equal(0, Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "maintenance test").ExitCode);
        var split = Status("runtime", "production").GetProperty("traffic").ToString();
        // The maintenance revision runs what serves; this time it cannot start.
        Google.FailingImages.Add($"{Registry}/runtime/runtime@{Google.DigestOf($"{Registry}/runtime/runtime:aaa1111")}");

        var enable = Cli("maintenance", "enable", "runtime", "--env", "production", "--message", "ledger migration");

        Assert.Equal(1, enable.ExitCode);
        Assert.Contains("maintenance was not enabled, and runtime's template and traffic are as they were: ", enable.Err, StringComparison.Ordinal);
        Assert.Equal(split, Status("runtime", "production").GetProperty("traffic").ToString()); // not LATEST's newest ready revision (the no-traffic canary)
        var container = Google.Service(Name)["template"]!["containers"]![0]!;
        Assert.Equal($"{Registry}/runtime/runtime:bbb2222", container["image"]!.GetValue<string>());
        Assert.DoesNotContain(container["env"]!.AsArray(), e => e!["name"]!.GetValue<string>().StartsWith("DEPLOYMATRIX_", StringComparison.Ordinal));
        Assert.Contains("serving (not in maintenance)", Cli("maintenance", "status", "runtime", "--env", "production").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void AFirstMaintenanceEnable_ThatCannotGrantSecretAccess_NamesTheExactGrant_AndChangesNoService()
    {
        const string Name = "projects/openagentsgemini/locations/us-central1/services/runtime";
        var before = Google.Service(Name).ToJsonString();
        Google.DenySetIamPolicy = true;

        var enable = Cli("maintenance", "enable", "runtime", "--env", "production", "--message", "ledger migration");

        Assert.Equal(1, enable.ExitCode);
        Assert.Contains("runtime runs as runtime@openagentsgemini.iam.gserviceaccount.com, which must read the maintenance token, and these credentials cannot grant that (secretmanager.secrets.setIamPolicy); ask someone who can to run: gcloud secrets add-iam-policy-binding runtime-maintenance-token --project openagentsgemini --role roles/secretmanager.secretAccessor --member serviceAccount:runtime@openagentsgemini.iam.gserviceaccount.com", enable.Err, StringComparison.Ordinal);
        Assert.Equal(before, Google.Service(Name).ToJsonString());

        // Once someone made the grant, enabling works.
        Google.ProjectSecretAccessors.Add("runtime@openagentsgemini.iam.gserviceaccount.com");
        Google.DenySetIamPolicy = false;
        Assert.Equal(0, Cli("maintenance", "enable", "runtime", "--env", "production", "--message", "ledger migration").ExitCode);
    }

    [Fact]
    public void TheSecretGrant_KeepsAConditionalBindingOfTheSameRole_AsItWas()
    {
        const string Secret = "projects/openagentsgemini/secrets/runtime-maintenance-token";
        Google.AddSecret(Secret);
        var expired = new System.Text.Json.Nodes.JsonObject
        {
            ["role"] = "roles/secretmanager.secretAccessor",
            ["members"] = new System.Text.Json.Nodes.JsonArray("user:contractor@example.com"),
            ["condition"] = new System.Text.Json.Nodes.JsonObject { ["title"] = "until 2020", ["expression"] = "request.time < timestamp('2020-01-01T00:00:00Z')" },
        };
        Google.SetSecretPolicy(Secret, [expired.DeepClone()]);

        var enable = Cli("maintenance", "enable", "runtime", "--env", "production", "--message", "ledger migration");

        Assert.True(enable.ExitCode == 0, enable.ToString());
        var bindings = Google.SecretBindings(Secret);
        Assert.Contains(bindings, b => System.Text.Json.Nodes.JsonNode.DeepEquals(b, expired));
        Assert.Contains(bindings, b => b!["condition"] is null && b["members"]!.AsArray().Select(m => m!.GetValue<string>()).SequenceEqual(["serviceAccount:runtime@openagentsgemini.iam.gserviceaccount.com"]));
    }

    [Fact]
    public void ATokenSecretLeftWithoutAVersion_IsGivenOne_AndMaintenanceStarts()
    {
        const string Secret = "projects/openagentsgemini/secrets/runtime-maintenance-token";
        Google.AddSecret(Secret); // an earlier enable stopped between creating the secret and adding its version

        var enable = Cli("maintenance", "enable", "runtime", "--env", "production", "--message", "ledger migration");

        Assert.True(enable.ExitCode == 0, enable.ToString());
        Assert.Equal(43, Assert.Single(Google.SecretVersions[Secret]).Length);
    }

    [Fact]
    public void PermissionDenied_IsOneLine_NamingTheCallAndTheRole()
    {
        Google.FailNext(System.Net.HttpStatusCode.Forbidden, "Permission 'run.services.get' denied on resource 'projects/openagentsgemini/locations/us-central1/services/runtime' (or resource may not exist).");

        var run = Cli("status", "runtime", "--env", "production");

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.ErrLines);
        Assert.Contains("GET /v2/projects/openagentsgemini/locations/us-central1/services/runtime → 403 PERMISSION_DENIED: Permission 'run.services.get' denied", line, StringComparison.Ordinal);
        Assert.Contains("the account lacks a role", line, StringComparison.Ordinal);
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

    [Fact]
    public void AWorkloadIdentityFederationFile_ExchangesTheCisTokenAtSts_KeylessCi()
    {
        // What google-github-actions/auth writes for keyless CI: no key, an OIDC token in a file, exchanged at STS.
        var oidc = Path.Combine(Dir.Path, "oidc-token");
        File.WriteAllText(oidc, "eyJhbGciOiJSUzI1NiJ9.ci-run-42.signature");
        Google.TrustedSubjectTokens.Add("eyJhbGciOiJSUzI1NiJ9.ci-run-42.signature");
        var config = Path.Combine(Dir.Path, "wif.json");
        const string Audience = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/ci/providers/github";
        File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = "external_account",
            ["audience"] = Audience,
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            ["token_url"] = new Uri(Google.BaseUri, "token").ToString(),
            ["credential_source"] = new Dictionary<string, string> { ["file"] = oidc },
        }));
        Env.Remove("GOOGLE_OAUTH_ACCESS_TOKEN");
        Env["GOOGLE_APPLICATION_CREDENTIALS"] = config;

        var run = Cli("status", "runtime", "--env", "staging", "--output", "json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal($"urn:ietf:params:oauth:token-type:jwt for {Audience}", Assert.Single(Google.Exchanges));
    }

    [Theory]
    [InlineData(false, 2, "no usable Google credentials (cannot use ")]
    [InlineData(true, 1, "could not reach the credentials' token endpoint to get an access token: ")]
    public void ABrokenWorkloadIdentityFile_IsOneLine_BadInputOrUnreachable(bool subjectTokenExists, int exitCode, string message)
    {
        var oidc = Path.Combine(Dir.Path, "oidc-token");
        if (subjectTokenExists)
        {
            File.WriteAllText(oidc, "token");
        }

        var config = Path.Combine(Dir.Path, "wif.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = "external_account",
            ["audience"] = "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/github",
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            ["token_url"] = "http://127.0.0.1:9/token", // nothing listens there
            ["credential_source"] = new Dictionary<string, string> { ["file"] = oidc },
        }));
        Env.Remove("GOOGLE_OAUTH_ACCESS_TOKEN");
        Env["GOOGLE_APPLICATION_CREDENTIALS"] = config;

        var run = Cli("status", "runtime", "--env", "staging");

        Assert.True(run.ExitCode == exitCode, run.ToString());
        Assert.Contains(message, run.Err, StringComparison.Ordinal);
        Assert.Single(run.Err.Trim().Split('\n'));
    }

    [Fact]
    public void AnApiUrlThatIsNotAUrl_IsBadInput_InOneLine()
    {
        Env["DEPLOYMATRIX_GOOGLE_API_URL"] = "not a url";

        var run = Cli("status", "runtime", "--env", "staging");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("DEPLOYMATRIX_GOOGLE_API_URL is 'not a url', not an http(s) URL", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void AMaintenanceEnableRacingAnotherChange_ChangesNothing_AndSaysSo()
    {
        const string Name = "projects/openagentsgemini/locations/us-central1/services/runtime";
        Google.ConcurrentChanges[Name] = 1;
        var template = Google.Service(Name)["template"]!.ToJsonString();

        var enable = Cli("maintenance", "enable", "runtime", "--env", "production", "--message", "ledger migration");

        Assert.Equal(1, enable.ExitCode);
        Assert.Contains("maintenance was not enabled: runtime changed while it was being enabled", enable.Err, StringComparison.Ordinal);
        Assert.Equal(template, Google.Service(Name)["template"]!.ToJsonString());
        Assert.Contains("serving (not in maintenance)", Cli("maintenance", "status", "runtime", "--env", "production").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void ACredentialsFileOfAnotherKind_IsRefusedInOneLine_NamingTheKindsAccepted()
    {
        var config = Path.Combine(Dir.Path, "odd.json");
        File.WriteAllText(config, """{"type": "gdch_service_account"}""");
        Env.Remove("GOOGLE_OAUTH_ACCESS_TOKEN");
        Env["GOOGLE_APPLICATION_CREDENTIALS"] = config;

        var run = Cli("status", "runtime", "--env", "staging");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"no usable Google credentials (cannot use {config}: its type is gdch_service_account, not one of service_account, external_account, authorized_user, impersonated_service_account, external_account_authorized_user)", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void AServiceAccountKey_GetsItsTokenFromTheKeysTokenEndpoint()
    {
        using var rsa = RSA.Create(2048);
        var key = Path.Combine(Dir.Path, "key.json");
        File.WriteAllText(key, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = "openagentsgemini",
            ["private_key_id"] = "k1",
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = "deployer@openagentsgemini.iam.gserviceaccount.com",
            ["client_id"] = "1",
            ["token_uri"] = new Uri(Google.BaseUri, "token").ToString(),
        }));
        Env.Remove("GOOGLE_OAUTH_ACCESS_TOKEN");
        Env["GOOGLE_APPLICATION_CREDENTIALS"] = key;

        var run = Cli("status", "runtime", "--env", "staging", "--output", "json");
        Env["GOOGLE_APPLICATION_CREDENTIALS"] = Path.Combine(Dir.Path, "missing.json");
        var missing = Cli("status", "runtime", "--env", "staging");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no usable Google credentials (cannot use ", missing.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(CloudRunDouble.Token, missing.ToString(), StringComparison.Ordinal);
    }
}
