using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// <c>rollout … --executor gcloud</c> and its control commands move traffic with gcloud (the stand-in that carries it
/// out on the double), journaled with the stage; the analysis still reads the double's Cloud Monitoring.
/// </summary>
public sealed class GcloudRolloutControlTests : CloudRunExampleTests
{
    private const string Lane = "openagents-control-service";
    private const string Service = "openagents-control-service-staging";
    private readonly TempDir _bin = new();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        UseFakeClock();
        ServeTheExampleApps();
        Env["PATH"] = GcloudToDouble.Install(_bin.Path, Google.BaseUri, CloudRunDouble.Token);
        // A stage too quiet to judge holds its split for a person, at once (no load is simulated).
        var matrix = Path.Combine(Dir.Path, "deploymatrix.yaml");
        File.WriteAllText(matrix, File.ReadAllText(matrix).Replace("      min-requests: 100\n", "      min-requests: 100\n    max-extensions: 0\n    on-inconclusive: hold\n", StringComparison.Ordinal));
    }

    public override async Task DisposeAsync()
    {
        _bin.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public void AHeldRolloutAborted_ThroughGcloud_SendsEverythingBackToStable_WithTheCommandJournaled()
    {
        var stable = Serving();
        var held = Cli("rollout", Lane, "--env", "staging", "--tag", "bbb2222", "--window", "3m", "--executor", "gcloud");
        Assert.True(held.ExitCode == 1 && held.Err.Contains("holding the split for a person", StringComparison.Ordinal), held.ToString());
        var canary = Google.Service(Name)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.Contains($"run deploy {Service} --project openagentsgemini --region us-central1 --image {Registry}/openagents-control-service/control:bbb2222 --quiet --no-traffic --tag dm-bbb2222", GcloudToDouble.Calls(_bin.Path));
        Assert.Equal([(canary, 5), (stable, 95)], Google.TrafficHistory(Service)[^1].OrderBy(s => s.Percent));

        var abort = Cli("rollout", "abort", Lane, "--env", "staging", "--executor", "gcloud", "--reason", "wrong build");

        Assert.True(abort.ExitCode == 0, abort.ToString());
        Assert.Equal(GcloudToDouble.UpdateTraffic(Service, $"--to-revisions {stable}=100"), GcloudToDouble.Calls(_bin.Path)[^1]);
        Assert.Equal(stable, Serving());
        Assert.Contains($"all traffic to {stable}: gcloud run services update-traffic {Service}", Cli("history", Lane).Out, StringComparison.Ordinal);
        // The API path made no write: every change to the service came through gcloud.
        Assert.Equal(GcloudToDouble.Calls(_bin.Path).Count(c => c.StartsWith("run deploy ", StringComparison.Ordinal) || c.StartsWith("run services update-traffic ", StringComparison.Ordinal)),
            Google.Calls.Count(c => c.StartsWith("PATCH ", StringComparison.Ordinal)));
    }

    [Fact]
    public void AHeldRolloutPromoted_WithDeploymatrixExecutorGcloud_GivesTheCanaryEverything()
    {
        Env["DEPLOYMATRIX_EXECUTOR"] = "gcloud";
        var held = Cli("rollout", Lane, "--env", "staging", "--tag", "bbb2222", "--window", "3m");
        Assert.True(held.ExitCode == 1, held.ToString());
        var canary = Google.Service(Name)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        Assert.Contains(GcloudToDouble.Calls(_bin.Path), c => c.StartsWith($"run deploy {Service} ", StringComparison.Ordinal));

        var promote = Cli("rollout", "promote", Lane, "--env", "staging", "--reason", "checked by hand");

        Assert.True(promote.ExitCode == 0, promote.ToString());
        Assert.Equal(GcloudToDouble.UpdateTraffic(Service, $"--to-revisions {canary}=100"), GcloudToDouble.Calls(_bin.Path)[^1]);
        Assert.Equal(canary, Serving());
    }

    [Fact]
    public void AHeldRolloutResumed_ThroughGcloud_SetsItsStageSplitAgainWithGcloud()
    {
        var held = Cli("rollout", Lane, "--env", "staging", "--tag", "bbb2222", "--window", "3m", "--executor", "gcloud");
        Assert.True(held.ExitCode == 1, held.ToString());
        var stable = Google.TrafficHistory(Service)[0].Single().Revision;
        var canary = Google.Service(Name)["latestCreatedRevision"]!.GetValue<string>().Split('/')[^1];
        var calls = GcloudToDouble.Calls(_bin.Path).Count;

        // Still too quiet to judge: the stage's split is set again (by gcloud), and the rollout holds again.
        var resumed = Cli("rollout", "resume", Lane, "--env", "staging", "--executor", "gcloud");

        Assert.True(resumed.ExitCode == 1 && resumed.Err.Contains("holding the split for a person", StringComparison.Ordinal), resumed.ToString());
        Assert.Equal([GcloudToDouble.UpdateTraffic(Service, $"--to-revisions {stable}=95,{canary}=5")], GcloudToDouble.Calls(_bin.Path).Skip(calls));
    }

    [Fact]
    public void GcloudOnALocalTarget_IsRefusedAsBadInput_BeforeAnythingRuns()
    {
        var rollout = CliRun.Invoke(Dir.Path, Env, "--platform", "local", "rollout", Lane, "--env", "staging", "--executor", "gcloud");
        var abort = CliRun.Invoke(Dir.Path, Env, "--platform", "local", "rollout", "abort", Lane, "--env", "staging", "--executor", "gcloud");

        Assert.Equal((2, 2), (rollout.ExitCode, abort.ExitCode));
        Assert.Contains("--executor gcloud carries out Cloud Run targets", rollout.Err, StringComparison.Ordinal);
        Assert.Contains("--executor gcloud carries out Cloud Run targets", abort.Err, StringComparison.Ordinal);
        Assert.Empty(GcloudToDouble.Calls(_bin.Path));
    }

    private const string Name = $"projects/openagentsgemini/locations/us-central1/services/{Service}";

    private string Serving()
    {
        var traffic = Google.TrafficHistory(Service)[^1];
        return Assert.Single(traffic).Revision;
    }
}
