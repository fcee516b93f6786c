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
    public void ProductionDeploy_CreatesATaggedRevisionWithNoTraffic_AndSmokeChecksItsTagUrl()
    {
        var image = SeedFacts.ControlImage.Replace("<TAG>", Tag, StringComparison.Ordinal);

        var commands = AfterPreflight(Shell("openagents-control-service", "production", PlanAction.Deploy));

        // As upstream, the control service's tests run before a production deploy (the budget check is a request, a comment here).
        Assert.Equal(Words("cargo test --manifest-path apps/openagents.com/service/Cargo.toml"), commands[0]);
        commands = [.. commands.Skip(1)];
        Assert.Equal(
            Words($"gcloud run deploy openagents-control-service --project openagentsgemini --region us-central1 --image {image} --quiet --no-traffic --tag dm-abc1234"),
            commands[0]);
        Assert.Equal(
            ["gcloud", "run", "services", "describe", "openagents-control-service", "--project", "openagentsgemini", "--region", "us-central1", "--format", "value(spec.template.spec.containers[0].image)"],
            commands[1]);
        Assert.StartsWith("URL=$", string.Join(' ', commands[2]), StringComparison.Ordinal);
        Assert.Contains(
            "URL=$(gcloud run services describe openagents-control-service --project openagentsgemini --region us-central1 --format 'value(status.traffic.filter(\"tag=dm-abc1234\").map().extract(url).flatten())')\n",
            Render("openagents-control-service", "production"), StringComparison.Ordinal);
        Assert.Equal(Words("gcloud run services update-traffic openagents-control-service --project openagentsgemini --region us-central1 --remove-tags OLD_TAGS"), commands[3]);
        Assert.Equal(4, commands.Count);
    }

    [Fact]
    public void StagingDeploy_MovesTrafficByTheTag_OnlyAfterTheSmokeChecks()
    {
        var commands = AfterPreflight(Shell("openagents-control-service", "staging", PlanAction.Deploy));
        var verbs = commands.Select(c => string.Join(' ', c.Take(4))).ToList();

        Assert.Equal("openagents-control-service-staging", commands[0][3]);
        Assert.Contains("--no-traffic", commands[0]);
        var smoke = commands.FindIndex(c => c[0] == "URL=$");
        var move = commands.FindIndex(c => c.Contains("--to-tags"));
        Assert.True(smoke > 0 && move > smoke, string.Join('\n', verbs));
        Assert.Equal(Words("gcloud run services update-traffic openagents-control-service-staging --project openagentsgemini --region us-central1 --to-tags dm-abc1234=100"), commands[move]);
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

    /// <summary>
    /// Upstream's deploy-runtime-and-migrate.sh: <c>gcloud run deploy runtime … --quiet</c> with traffic (its
    /// DEPLOY_NO_TRAFFIC defaults to 0), the check that the service runs the image, then the migrate helper with the
    /// same image. The example encodes it with <c>traffic: direct</c>, and the plan is those commands, word for word:
    /// no traffic move, no tag, nothing before the migration but the deploy and its image check.
    /// </summary>
    [Fact]
    public void RuntimeProductionDeploy_IsUpstreamsDeployWithTraffic_ThenTheMandatoryMigrationWithTheSameImage()
    {
        var image = SeedFacts.RuntimeImage.Replace("<TAG>", Tag, StringComparison.Ordinal);
        const string Where = "--project openagentsgemini --region us-central1";

        var commands = AfterPreflight(Shell("runtime", "production", PlanAction.Deploy));
        var shell = Render("runtime", "production");

        Assert.Equal(
            [
                Words($"gcloud run deploy runtime {Where} --image {image} --quiet"),
                Words($"gcloud run services describe runtime {Where} --format 'value(spec.template.spec.containers[0].image)'"),
                Words($"gcloud run jobs update runtime-migrate {Where} --image {image} --command /usr/local/bin/runtime --args runtime-migrate --quiet"),
                Words($"gcloud run jobs describe runtime-migrate {Where} --format 'value(spec.template.spec.template.spec.containers[0].image)'"),
                Words($"gcloud run jobs execute runtime-migrate {Where} --wait --format 'value(metadata.name)'"),
            ],
            commands.Take(5));
        Assert.DoesNotContain(commands, c => c.Contains("--no-traffic") || c.Contains("--tag") || c.Contains("update-traffic") || c.Contains("--to-revisions"));
        Assert.DoesNotContain("update-traffic", shell, StringComparison.Ordinal);
        Assert.DoesNotContain("dm-abc1234", shell, StringComparison.Ordinal);
    }

    [Fact]
    public void RuntimeProductionDeploy_Direct_SmokeChecksTheServiceUrl_AndItsNoteSaysWhatItGivesUpAndNamesTheRollback()
    {
        var plan = Planner.Plan(Example, new PlanRequest { Lane = "runtime", Environment = "production", Tag = Tag }).Plan!;

        Assert.Equal(
            [typeof(CheckImage), typeof(CheckService), typeof(CheckPermissions),
             typeof(DeployRevision), typeof(VerifyServiceImage), typeof(UpdateJobImage), typeof(VerifyJobImage), typeof(ExecuteJob), typeof(CheckDrift),
             typeof(RunSmokeCheck), typeof(RunSmokeCheck), typeof(WriteReceipt)],
            plan.Steps.Select(s => s.GetType()));
        var deploy = plan.Steps.OfType<DeployRevision>().Single();
        Assert.Equal((false, null), (deploy.NoTraffic, deploy.TrafficTag));
        Assert.All(plan.Steps.OfType<RunSmokeCheck>(), s => Assert.Equal((RevisionRole.Latest, null), (s.Revision.Role, s.TrafficTag)));
        var note = Assert.Single(plan.Notes);
        Assert.DoesNotContain('\n', note);
        Assert.Contains("serves all traffic from its deploy on, before its migration and smoke checks", note, StringComparison.Ordinal);
        Assert.Contains("roll back with: rollback runtime --env production", note, StringComparison.Ordinal);
    }

    /// <summary>Asked for no traffic, a direct target takes the checked path: the tagged revision, its checks, no traffic move.</summary>
    [Fact]
    public void RuntimeProductionDeploy_WithNoTraffic_ChecksTheTaggedRevisionAndLeavesTheSplit()
    {
        var plan = Planner.Plan(Example, new PlanRequest { Lane = "runtime", Environment = "production", Tag = Tag, NoTraffic = true }).Plan!;

        var deploy = plan.Steps.OfType<DeployRevision>().Single();
        Assert.Equal((true, "dm-abc1234"), (deploy.NoTraffic, deploy.TrafficTag));
        Assert.All(plan.Steps.OfType<RunSmokeCheck>(), s => Assert.Equal("dm-abc1234", s.TrafficTag));
        Assert.DoesNotContain(plan.Steps, s => s is SetTraffic);
    }

    /// <summary>The checked path of <c>traffic: immediate</c> (runtime staging): tagged revision, checks on its tag URL, then 100% by the tag.</summary>
    [Fact]
    public void ImmediateDeploy_ChecksTheTaggedRevision_ThenGivesItAllTrafficByItsTag()
    {
        var plan = Planner.Plan(Example, new PlanRequest { Lane = "runtime", Environment = "staging", Tag = Tag }).Plan!;
        var commands = Shell("runtime", "staging", PlanAction.Deploy);
        var verbs = commands.Select(c => string.Join(' ', c.Take(4))).ToList();

        Assert.Equal(
            [typeof(CheckImage), typeof(CheckService), typeof(CheckPermissions),
             typeof(DeployRevision), typeof(VerifyServiceImage), typeof(UpdateJobImage), typeof(VerifyJobImage), typeof(ExecuteJob), typeof(CheckDrift),
             typeof(RunSmokeCheck), typeof(RunSmokeCheck), typeof(SetTraffic), typeof(RemoveTrafficTags), typeof(WriteReceipt)],
            plan.Steps.Select(s => s.GetType()));
        Assert.True(plan.Steps.OfType<DeployRevision>().Single().NoTraffic);
        Assert.Equal(["run.jobs.get", "run.jobs.update", "run.jobs.run"], plan.Steps.OfType<CheckPermissions>().Single().JobPermissions);
        Assert.All(plan.Steps.OfType<RunSmokeCheck>(), s => Assert.Equal("dm-abc1234", s.TrafficTag));
        var drift = verbs.LastIndexOf("gcloud run jobs executions");
        var smoke = commands.FindIndex(c => c[0] == "URL=$");
        var move = commands.FindIndex(c => c.Contains("--to-tags"));
        Assert.True(drift > 0 && smoke > drift && move > smoke, string.Join('\n', verbs));
        Assert.Equal(Words("gcloud run services update-traffic runtime-staging --project openagentsgemini --region us-central1 --to-tags dm-abc1234=100"), commands[move]);
        Assert.Empty(plan.Notes);
    }

    [Fact]
    public void ControlServiceProductionDeploy_TakesNoTraffic_AndNamesTheRolloutThatMovesIt()
    {
        var plan = Planner.Plan(Example, new PlanRequest { Lane = "openagents-control-service", Environment = "production", Tag = Tag }).Plan!;

        Assert.DoesNotContain(plan.Steps, s => s is SetTraffic);
        Assert.Equal(
            "openagents-control-service goes out in 'production' by rollout (traffic: rollout): the deploy takes no traffic; continue with: rollout openagents-control-service --env production (or deploy and roll out under one lock: rollout openagents-control-service --env production --tag abc1234)",
            Assert.Single(plan.Notes));
    }

    [Fact]
    public void MigrateRerunHelper_UsesTheServicesCurrentImage()
    {
        var plan = Planner.Plan(Example, new PlanRequest { Lane = "runtime", Environment = "production", Action = PlanAction.Migrate }).Plan!;
        var shell = ShellRenderer.Render(plan);

        Assert.IsType<ResolveServiceImage>(plan.Steps[0]);
        Assert.StartsWith("IMAGE=$(gcloud run services describe runtime ", shell, StringComparison.Ordinal);
        Assert.Contains("gcloud run jobs update runtime-migrate --project openagentsgemini --region us-central1 --image \"$IMAGE\" --command /usr/local/bin/runtime --args runtime-migrate --quiet\n", shell, StringComparison.Ordinal);
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

    [Fact]
    public void ADeploy_FirstReadsTheImage_TheService_AndItsTemplatesEnv_BeforeAnyWrite()
    {
        var image = SeedFacts.ControlImage.Replace("<TAG>", Tag, StringComparison.Ordinal);

        var commands = Shell("openagents-control-service", "staging", PlanAction.Deploy);

        Assert.Equal(["gcloud", "artifacts", "docker", "images", "describe", image, "--format", "value(image_summary.digest)"], commands[0]);
        Assert.Equal(["gcloud", "run", "services", "describe", "openagents-control-service-staging", "--project", "openagentsgemini", "--region", "us-central1", "--format", "value(metadata.name)"], commands[1]);
        Assert.Equal(Words("gcloud run services describe openagents-control-service-staging --project openagentsgemini --region us-central1 --format json"), commands[2]);
        Assert.Equal("deploy", commands[3][2]);
        Assert.Contains("openagents-control-service-staging:testIamPermissions (done natively: gcloud has no command for it)", Render("openagents-control-service", "staging"), StringComparison.Ordinal);
    }

    /// <summary>A deploy's commands after its preflight reads (the image, the service, its template's env), which come first.</summary>
    private static List<IReadOnlyList<string>> AfterPreflight(List<IReadOnlyList<string>> commands) =>
        [.. commands.SkipWhile(c => c[1] == "artifacts" || (c is [_, "run", "services", "describe", ..] && c[^1] is "value(metadata.name)" or "json"))];

    private static List<IReadOnlyList<string>> Shell(string lane, string env, PlanAction action, int? percent = null)
    {
        var result = Planner.Plan(Example, new PlanRequest { Lane = lane, Environment = env, Tag = Tag, Action = action, Percent = percent });
        Assert.True(result.Plan is not null, result.Error);
        var lines = ShellRenderer.Render(result.Plan).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#'));
        return [.. lines.Select(Words)];
    }

    private static IReadOnlyList<string> Words(string line) => CommandWords.Split(line);

    private static string Render(string lane, string env) =>
        ShellRenderer.Render(Planner.Plan(Example, new PlanRequest { Lane = lane, Environment = env, Tag = Tag, Action = PlanAction.Deploy }).Plan!);
}
