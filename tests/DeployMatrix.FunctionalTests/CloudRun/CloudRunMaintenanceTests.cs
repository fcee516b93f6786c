namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// Maintenance mode on Cloud Run through the double: the token's secret and the grant its service
/// account needs, the maintenance revision, and what is put back when enabling fails or races.
/// </summary>
public sealed class CloudRunMaintenanceTests : CloudRunExampleTests
{
    /// <summary>The label DeployMatrix puts on the token's secret when it creates it.</summary>
    private static readonly Dictionary<string, string> Ours = new(StringComparer.Ordinal) { ["managed-by"] = "deploymatrix" };

    [Fact]
    public void Maintenance_KeepsTheTokenInSecretManager_TellsTheServiceThroughItsEnvironment_AndDisableRestoresTheSplit()
    {
        const string Name = "projects/openagentsgemini/locations/us-central1/services/runtime";
        var deploy = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--override-gate", "--reason", "maintenance test");
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
        Assert.Equal("1", env["DEPLOYMATRIX_MAINTENANCE_TOKEN"]["valueSource"]!["secretKeyRef"]!["version"]!.GetValue<string>()); // exactly this enable's token
        Assert.Equal("deploymatrix", Google.SecretLabels(secret)["managed-by"]);
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
        Assert.Single(Google.SecretVersions[secret]);
    }

    [Fact]
    public void EveryEnable_MintsANewTokenVersion_AndTheMaintenanceRevisionReadsThatOne()
    {
        const string Name = "projects/openagentsgemini/locations/us-central1/services/runtime";
        const string Secret = "projects/openagentsgemini/secrets/runtime-maintenance-token";
        Assert.Equal(0, Cli("maintenance", "enable", "runtime", "--env", "production").ExitCode);
        Assert.Equal(0, Cli("maintenance", "disable", "runtime", "--env", "production").ExitCode);

        var again = Cli("maintenance", "enable", "runtime", "--env", "production");

        Assert.True(again.ExitCode == 0, again.ToString());
        var versions = Google.SecretVersions[Secret];
        Assert.Equal(2, versions.Count);
        Assert.NotEqual(versions[0], versions[1]); // the first maintenance's token (and its cookies) no longer let anyone through
        var token = Google.Service(Name)["template"]!["containers"]![0]!["env"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "DEPLOYMATRIX_MAINTENANCE_TOKEN")!;
        Assert.Equal("2", token["valueSource"]!["secretKeyRef"]!["version"]!.GetValue<string>());
    }

    [Fact]
    public void ASecretOfTheSameNameThatDeployMatrixDidNotCreate_IsRefused_AndNothingChanges()
    {
        const string Name = "projects/openagentsgemini/locations/us-central1/services/runtime";
        const string Secret = "projects/openagentsgemini/secrets/runtime-maintenance-token";
        Google.AddSecret(Secret); // someone else's, unlabelled: whoever made it may read every version
        var before = Google.Service(Name).ToJsonString();

        var enable = Cli("maintenance", "enable", "runtime", "--env", "production");

        Assert.Equal(1, enable.ExitCode);
        Assert.Equal("deploymatrix: Secret Manager secret projects/openagentsgemini/secrets/runtime-maintenance-token exists but DeployMatrix did not create it (it has no label managed-by=deploymatrix), so it is not trusted with the maintenance token; find out whose it is, delete it (gcloud secrets delete runtime-maintenance-token --project openagentsgemini) if it is not in use, then enable again", enable.Err.Trim());
        Assert.Empty(Google.SecretVersions[Secret]); // no token was put where someone else reads it
        Assert.Empty(Google.SecretMembers(Secret, "roles/secretmanager.secretAccessor"));
        Assert.Equal(before, Google.Service(Name).ToJsonString());
        Assert.Contains("serving (not in maintenance)", Cli("maintenance", "status", "runtime", "--env", "production").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void AMaintenanceEnableWhoseRevisionFails_PutsTheTemplateAndTheSplitBack()
    {
        const string Name = "projects/openagentsgemini/locations/us-central1/services/runtime";
        Assert.Equal(0, Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--override-gate", "--reason", "maintenance test").ExitCode);
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
        Google.AddSecret(Secret, Ours);
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
        Google.AddSecret(Secret, Ours); // an earlier enable stopped between creating the secret and adding its version

        var enable = Cli("maintenance", "enable", "runtime", "--env", "production", "--message", "ledger migration");

        Assert.True(enable.ExitCode == 0, enable.ToString());
        Assert.Equal(43, Assert.Single(Google.SecretVersions[Secret]).Length);
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
}
