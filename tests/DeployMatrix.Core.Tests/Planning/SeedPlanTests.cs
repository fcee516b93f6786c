using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Core.Tests.Planning;

/// <summary><c>plan --format shell</c> for the seed's lanes runs what the upstream scripts ran: same words, flags and values.</summary>
public sealed class SeedPlanTests
{
    private const string Tag = "abc1234";
    private static readonly Matrix Example = MatrixLoader.Load(RepoPaths.Example).Matrix!;

    [Theory]
    [InlineData("openagents-control-service", SeedFacts.ControlBuildConfig)]
    [InlineData("runtime", SeedFacts.RuntimeBuildConfig)]
    public void Build_SubmitsTheLanesCloudBuildConfigWithTheTag(string lane, string config)
    {
        var commands = Shell(lane, "production", PlanAction.Build);

        Assert.Equal([Words(SeedFacts.BuildLine(config, Tag))], commands);
    }

    [Fact]
    public void ProductionDeploy_CreatesARevisionWithNoTrafficAndVerifiesTheImage()
    {
        var image = SeedFacts.ControlImage.Replace("<TAG>", Tag, StringComparison.Ordinal);

        var commands = Shell("openagents-control-service", "production", PlanAction.Deploy);

        Assert.Equal(
            Words($"gcloud run deploy openagents-control-service --project openagentsgemini --region us-central1 --image {image} --no-traffic"),
            commands[0]);
        Assert.Equal(
            ["gcloud", "run", "services", "describe", "openagents-control-service", "--project", "openagentsgemini", "--region", "us-central1", "--format", "value(spec.template.spec.containers[0].image)"],
            commands[1]);
        Assert.Equal(2, commands.Count);
    }

    [Fact]
    public void StagingDeploy_TargetsTheStagingServiceAndTakesTraffic()
    {
        var commands = Shell("openagents-control-service", "staging", PlanAction.Deploy);

        Assert.Equal("openagents-control-service-staging", commands[0][3]);
        Assert.DoesNotContain("--no-traffic", commands[0]);
    }

    [Theory]
    [InlineData(0, "STABLE=100,CANARY=0")]
    [InlineData(5, "STABLE=95,CANARY=5")]
    [InlineData(25, "STABLE=75,CANARY=25")]
    [InlineData(100, "STABLE=0,CANARY=100")]
    public void SetTraffic_GivesStableTheRest(int percent, string revisions)
    {
        var commands = Shell("openagents-control-service", "production", PlanAction.SetTraffic, percent: percent);

        Assert.Equal(
            [Words($"gcloud run services update-traffic openagents-control-service --project openagentsgemini --region us-central1 --to-revisions {revisions}")],
            commands);
    }

    [Fact]
    public void SetTraffic_WithPinnedRevisions_NamesThem()
    {
        var plan = Planner.Plan(Example, new PlanRequest
        {
            Lane = "openagents-control-service", Environment = "production", Action = PlanAction.SetTraffic, Percent = 25,
            Stable = "openagents-control-service-00041-abc", Canary = "openagents-control-service-00042-def",
        }).Plan!;

        Assert.EndsWith("--to-revisions openagents-control-service-00041-abc=75,openagents-control-service-00042-def=25\n", ShellRenderer.Render(plan), StringComparison.Ordinal);
    }

    [Fact]
    public void Rollback_SendsEverythingToStable()
    {
        var commands = Shell("openagents-control-service", "production", PlanAction.Rollback);

        Assert.Equal([Words("gcloud run services update-traffic openagents-control-service --project openagentsgemini --region us-central1 --to-revisions STABLE=100")], commands);
    }

    [Fact]
    public void Status_DescribesTrafficAndLatestRevisions()
    {
        var commands = Shell("openagents-control-service", "production", PlanAction.Status);

        Assert.Equal(
            [["gcloud", "run", "services", "describe", "openagents-control-service", "--project", "openagentsgemini", "--region", "us-central1",
              "--format", "yaml(status.traffic,status.latestCreatedRevisionName,status.latestReadyRevisionName)"]],
            commands);
    }

    [Fact]
    public void RuntimeDeploy_RunsTheMandatoryMigrationWithTheSameImage()
    {
        var image = SeedFacts.RuntimeImage.Replace("<TAG>", Tag, StringComparison.Ordinal);

        var commands = Shell("runtime", "production", PlanAction.Deploy);
        var verbs = commands.Select(c => string.Join(' ', c.Take(4))).ToList();

        Assert.Equal(Words($"gcloud run deploy runtime --project openagentsgemini --region us-central1 --image {image} --no-traffic"), commands[0]);
        var update = verbs.IndexOf("gcloud run jobs update");
        var execute = verbs.IndexOf("gcloud run jobs execute");
        Assert.True(update > 0 && execute > update, string.Join('\n', verbs));
        Assert.Equal(Words($"gcloud run jobs update runtime-migrate --project openagentsgemini --region us-central1 --image {image}"), commands[update]);
        Assert.Equal(Words("gcloud run jobs execute runtime-migrate --project openagentsgemini --region us-central1 --wait"), commands[execute]);
    }

    [Fact]
    public void RuntimeDeploy_StepsAreTypedInTheSeedsOrder()
    {
        var plan = Planner.Plan(Example, new PlanRequest { Lane = "runtime", Environment = "production", Tag = Tag }).Plan!;

        Assert.Equal(
            [typeof(DeployRevision), typeof(VerifyServiceImage), typeof(UpdateJobImage), typeof(VerifyJobImage), typeof(ExecuteJob), typeof(CheckDrift), typeof(WriteReceipt)],
            plan.Steps.Select(s => s.GetType()));
        Assert.True(((DeployRevision)plan.Steps[0]).NoTraffic);
    }

    [Fact]
    public void MigrateRerunHelper_UsesTheServicesCurrentImage()
    {
        var plan = Planner.Plan(Example, new PlanRequest { Lane = "runtime", Environment = "production", Action = PlanAction.Migrate }).Plan!;
        var shell = ShellRenderer.Render(plan);

        Assert.IsType<ResolveServiceImage>(plan.Steps[0]);
        Assert.StartsWith("IMAGE=$(gcloud run services describe runtime ", shell, StringComparison.Ordinal);
        Assert.Contains("gcloud run jobs update runtime-migrate --project openagentsgemini --region us-central1 --image \"$IMAGE\"\n", shell, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lightning-ops", new[] { "status" }, SeedFacts.LightningOpsCommand)]
    [InlineData("lightning-wallet-executor", new string[0], SeedFacts.WalletExecutorCommand)]
    public void BinaryLanes_RunTheirCanonicalCommandVerbatim(string lane, string[] args, string seed)
    {
        var plan = Planner.Plan(Example, new PlanRequest { Lane = lane, Action = PlanAction.Run, Args = args }).Plan!;

        var expected = seed.Replace("<command>", string.Join(' ', args), StringComparison.Ordinal).TrimEnd();
        Assert.Equal(expected + "\n", ShellRenderer.Render(plan));
    }

    private static List<IReadOnlyList<string>> Shell(string lane, string env, PlanAction action, int? percent = null)
    {
        var result = Planner.Plan(Example, new PlanRequest { Lane = lane, Environment = env, Tag = Tag, Action = action, Percent = percent });
        Assert.True(result.Plan is not null, result.Error);
        var lines = ShellRenderer.Render(result.Plan).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#'));
        return [.. lines.Select(Words)];
    }

    private static IReadOnlyList<string> Words(string line) => CommandWords.Split(line);
}
