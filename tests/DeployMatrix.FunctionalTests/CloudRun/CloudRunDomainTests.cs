using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// The example's staging domain (<c>staging.openagents.com</c>) against the double's Cloud Run v1 domain mapping: while
/// the mapping is pending the deploy smokes the service's URL and says why, and the gate's domain check fails on one
/// line naming the gcloud command that fixes it; once it is ready the smoke checks go through the domain.
/// </summary>
public sealed class CloudRunDomainTests : CloudRunExampleTests
{
    private const string Lane = "openagents-control-service";
    private const string Domain = "staging.openagents.com";
    private const string Service = "openagents-control-service-staging";

    [Fact]
    public void APendingDomain_IsAOneLineFailureNamingTheFix_SmokeUsesTheServiceUrl_AndOnceReadyTheDomain()
    {
        ServeTheExampleApps();
        var standIn = Google.MapDomain("openagentsgemini", "us-central1", Domain, Service, ready: "False", message: "waiting for DNS");
        // The domain's DNS stands in as a loopback listener of the double (the only kind of URL the variable takes).
        Env["DEPLOYMATRIX_DOMAIN_ENDPOINTS"] = $"{Domain}={standIn}";

        var pending = Ok(Cli("deploy", Lane, "--env", "staging", "--tag", "bbb2222"));

        var pendingReceipt = Receipt(pending);
        Assert.Equal((Domain, $"pending: the domain mapping {Domain} is Ready=False (waiting for DNS)", "service URL"),
            (pendingReceipt.GetProperty("domain").GetString(), pendingReceipt.GetProperty("domain_status").GetString(), pendingReceipt.GetProperty("smoke_via").GetString()));
        Assert.Empty(Google.DomainRequests);
        Assert.Contains($"GET /apis/domains.cloudrun.com/v1/namespaces/openagentsgemini/domainmappings/{Domain}", Google.Calls);

        Ok(Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222")); // the gate judges what staging serves: both lanes at the tag
        var gate = Cli("gate", "--tag", "bbb2222");
        var line = Assert.Single(gate.Out.Split('\n'), l => l.Contains("control-staging-domain", StringComparison.Ordinal));
        // The whole line, between the check's status and its duration: what is pending, then the command that fixes it.
        Assert.Contains($"optional failed  the domain mapping {Domain} is Ready=False (waiting for DNS); set the DNS records that "
            + $"'gcloud beta run domain-mappings describe --domain {Domain} --project openagentsgemini --region us-central1' lists (the certificate follows them), then run the gate again (",
            line, StringComparison.Ordinal);

        Google.MapDomain("openagentsgemini", "us-central1", Domain, Service);
        var ready = Ok(Cli("deploy", Lane, "--env", "staging", "--tag", "ccc3333"));

        var readyReceipt = Receipt(ready);
        Assert.Equal(("ready", Domain), (readyReceipt.GetProperty("domain_status").GetString(), readyReceipt.GetProperty("smoke_via").GetString()));
        Assert.Equal(["/healthz", "/readyz", "/api/v1/control/status"], Google.DomainRequests.Select(r => r.Path));
        Assert.All(Google.DomainRequests, r => Assert.Equal(Domain, r.Domain));
        var report = File.ReadAllText(Path.Combine(Dir.Path, ready.Out.Split('\n').Single(l => l.StartsWith("receipt: ", StringComparison.Ordinal))["receipt: ".Length..].Trim()[..^".json".Length] + "-report.md"));
        Assert.Contains($"- Smoke checks via: `{Domain}`", report, StringComparison.Ordinal);
        Assert.Contains("- Domain status: `ready`", report, StringComparison.Ordinal);
    }

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }
}
