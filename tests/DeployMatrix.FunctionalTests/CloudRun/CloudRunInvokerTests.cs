using System.Text;
using System.Text.RegularExpressions;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// Services that require authentication, end to end: a deploy's smoke checks and the gate's checks of a lane
/// carry an ID token minted from the deployer's service-account key, which the double checks as Cloud Run
/// does; credentials that cannot mint one fail in one line naming the fix; a public service gets no
/// credentials; and the token is in no file the run leaves and in none of its output.
/// </summary>
public sealed partial class CloudRunInvokerTests : CloudRunExampleTests
{
    private const string Deployer = "deployer@openagentsgemini.iam.gserviceaccount.com";
    private const string Services = "projects/openagentsgemini/locations/us-central1/services/";
    private readonly TempDir _keys = new();

    [Fact]
    public void APrivateServicesSmokeChecks_CarryOneIdTokenForItsUrl_AndNoFileOrOutputOfTheRunHoldsIt()
    {
        UseServiceAccountKey();
        Google.MakePrivate(Services + "runtime-staging", $"serviceAccount:{Deployer}");

        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222");
        var history = Cli("history", "runtime", "--steps");

        Assert.True(run.ExitCode == 0, run.ToString());
        var token = Assert.Single(Google.IdTokensMinted); // one token for both checks: kept for its audience
        Assert.Equal(["/healthz", "/readyz"], Google.AppRequests.Select(r => r.Path));
        Assert.All(Google.AppRequests, r => Assert.Equal(($"Bearer {token}", $"serviceAccount:{Deployer}", (int?)null), (r.Authorization, r.Invoker, r.Refused)));
        Assert.Contains("smoke", history.Out, StringComparison.Ordinal);
        AssertNowhere(token, run, history);
    }

    [Fact]
    public void AnAccessTokenAlone_CannotMintAnIdToken_SoAPrivateServicesSmokeCheckFails_InOneLine_NamingTheFix()
    {
        // The example's environment: GOOGLE_OAUTH_ACCESS_TOKEN, which says nothing of whose it is. (User
        // credentials, which cannot either, are refused the same way: InvokerCredentialsTests.)
        Google.MakePrivate(Services + "runtime-staging", $"serviceAccount:{Deployer}");

        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222");

        Assert.True(run.ExitCode == 1, run.ToString());
        var line = Assert.Single(run.ErrLines, l => l.Contains("requires authentication", StringComparison.Ordinal));
        Assert.Contains($"Cloud Run service runtime-staging requires authentication (no roles/run.invoker for allUsers), and an access token (GOOGLE_OAUTH_ACCESS_TOKEN) cannot mint the ID token it takes; use a service account that holds roles/run.invoker on it: a key or an impersonation file in GOOGLE_APPLICATION_CREDENTIALS", line, StringComparison.Ordinal);
        Assert.Empty(Google.AppRequests); // nothing was sent without the credentials the service wants
        Assert.Equal("failed", Receipt(run).GetProperty("result").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void APublicService_ByItsPolicyOrWithTheInvokerCheckOff_GetsNoAuthorizationHeader(bool invokerCheckOff)
    {
        UseServiceAccountKey(); // credentials that could mint: a public service must still get nothing
        if (invokerCheckOff)
        {
            Google.MakePrivate(Services + "runtime-staging", $"serviceAccount:{Deployer}");
            Google.DisableInvokerIamCheck(Services + "runtime-staging");
        }

        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, Google.AppRequests.Count);
        Assert.All(Google.AppRequests, r => Assert.Equal((null, null), (r.Authorization, r.ServerlessAuthorization)));
        Assert.Empty(Google.IdTokensMinted);
    }

    [Fact]
    public void TheGatesChecksOfPrivateLanes_CarryTheIdToken_AndItsEvidenceHoldsNone()
    {
        UseServiceAccountKey();
        ServeTheExampleApps();
        foreach (var service in new[] { "runtime-staging", "openagents-control-service-staging", "runtime", "openagents-control-service" })
        {
            Google.MakePrivate(Services + service, $"serviceAccount:{Deployer}");
        }

        Assert.Equal(0, Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222").ExitCode);
        Assert.Equal(0, Cli("deploy", "openagents-control-service", "--env", "staging", "--tag", "bbb2222").ExitCode);
        var smoked = Google.AppRequests.Count;
        // The runtime's smoke binary (an optional command check) gets the service's URL, not a token: its requests are not this test's.
        var matrix = File.ReadAllText(Path.Combine(Dir.Path, "deploymatrix.yaml"));
        File.WriteAllText(Path.Combine(Dir.Path, "no-smoke-binary.yaml"), SmokeBinaryCheck().Replace(matrix, ""));

        var gate = Cli("--file", "no-smoke-binary.yaml", "gate", "--tag", "bbb2222");

        Assert.True(gate.ExitCode == 0, gate.ToString());
        Assert.Contains("\nGO: evidence in ", "\n" + gate.Out, StringComparison.Ordinal);
        var checks = Google.AppRequests.Skip(smoked).ToList();
        Assert.Contains(checks, r => r.Path == "/manifest.json");
        Assert.All(checks, r => Assert.Equal($"serviceAccount:{Deployer}", r.Invoker));
        var evidence = Directory.GetFiles(Path.Combine(Dir.Path, ".deploymatrix", "evidence"), "*.log", SearchOption.AllDirectories);
        Assert.Contains(evidence, f => File.ReadAllText(f).Contains("with the service's invoker ID token", StringComparison.Ordinal));
        foreach (var token in Google.IdTokensMinted)
        {
            AssertNowhere(token, gate);
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _keys.Dispose();
    }

    /// <summary>The deployer's service-account key, its token endpoint the double's (kept outside the workspace, which is searched for tokens).</summary>
    private void UseServiceAccountKey()
    {
        Env.Remove("GOOGLE_OAUTH_ACCESS_TOKEN");
        Env["GOOGLE_APPLICATION_CREDENTIALS"] = Google.WriteServiceAccountKey(_keys.Path, Deployer);
    }

    /// <summary>The token is in no file under the workspace (state.db's journal, receipts, evidence, logs) and in no output.</summary>
    private void AssertNowhere(string token, params CliRun[] runs)
    {
        var bytes = Encoding.UTF8.GetBytes(token);
        var signature = token.Split('.')[2];
        foreach (var file in Directory.GetFiles(Dir.Path, "*", SearchOption.AllDirectories))
        {
            var content = File.ReadAllBytes(file);
            Assert.False(content.AsSpan().IndexOf(bytes) >= 0 || Encoding.UTF8.GetString(content).Contains(signature, StringComparison.Ordinal), $"{file} holds the ID token");
        }

        Assert.All(runs, r => Assert.DoesNotContain(signature, r.ToString(), StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^    - id: runtime-[a-z]+-smoke-binary\n(?:      [^\n]*\n)*", RegexOptions.Multiline)]
    private static partial Regex SmokeBinaryCheck();
}
