using System.Text.Json;
using DeployMatrix.Tests.GoogleDouble;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// How the commands reach Google: every credentials file kind Application Default Credentials accepts,
/// against the double's token endpoint (JWT bearer and STS token exchange), and every way a credential
/// or an endpoint can be wrong, each one line with its exit code.
/// </summary>
public sealed class CloudRunCredentialsTests : CloudRunExampleTests
{
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
    public void AnApiUrlThatAnswersSomethingElse_FailsInOneLine_NamingTheVariable()
    {
        // Under this path the double answers as a deployed service would: 200 "ok", plain text.
        Env["DEPLOYMATRIX_GOOGLE_API_URL"] = new Uri(Google.BaseUri, "not-google/").ToString();

        var run = Cli("status", "runtime", "--env", "staging");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("not the JSON Google's API gives; is http://127.0.0.1:", run.Err, StringComparison.Ordinal);
        Assert.Contains("(check DEPLOYMATRIX_GOOGLE_API_URL)?", run.Err, StringComparison.Ordinal);
        Assert.Single(run.Err.Trim().Split('\n'));
    }

    [Fact]
    public void AnApiUrlInCleartextToAnotherMachine_IsRefused_BeforeTheTokenGoesAnywhere()
    {
        Env["DEPLOYMATRIX_GOOGLE_API_URL"] = "http://192.0.2.1/";

        var run = Cli("status", "runtime", "--env", "staging");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("deploymatrix: DEPLOYMATRIX_GOOGLE_API_URL: http://192.0.2.1 is plain http to another machine, where anyone on the way reads the credential; use https (http is for loopback only)", run.Err.Trim());
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
        var key = Google.WriteServiceAccountKey(Dir.Path, "deployer@openagentsgemini.iam.gserviceaccount.com");
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
