using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Core.Tests.Planning;

public sealed class PlannerTests
{
    private static readonly Matrix Example = MatrixLoader.Load(RepoPaths.Example).Matrix!;

    [Theory]
    [InlineData(-1)]
    [InlineData(101)]
    [InlineData(150)]
    public void SetTraffic_PercentOutside0To100_IsRejectedWithExit2(int percent)
    {
        var result = Plan(new PlanRequest { Lane = "runtime", Environment = "production", Action = PlanAction.SetTraffic, Percent = percent });

        Assert.Null(result.Plan);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("0..100", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void SetTraffic_WithoutPercent_SaysHowToGiveIt()
    {
        var result = Plan(new PlanRequest { Lane = "runtime", Environment = "production", Action = PlanAction.SetTraffic });

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--percent N", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void SetTraffic_SameRevisionTwice_IsRejected()
    {
        var result = Plan(new PlanRequest { Lane = "runtime", Environment = "production", Action = PlanAction.SetTraffic, Percent = 5, Stable = "runtime-00001-abc", Canary = "runtime-00001-abc" });

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
    }

    [Fact]
    public void LegacyLane_IsFrozenWithExit78()
    {
        var result = Plan(new PlanRequest { Lane = "openagents-web", Environment = "production", Tag = "t" });

        Assert.Equal(ExitCodes.FrozenLegacy, result.ExitCode);
        Assert.Contains("frozen legacy lane", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownLane_SuggestsTheClosest()
    {
        var result = Plan(new PlanRequest { Lane = "runtme", Environment = "production", Tag = "t" });

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("did you mean 'runtime'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownEnvironment_SuggestsTheLanesEnvironments()
    {
        var result = Plan(new PlanRequest { Lane = "runtime", Environment = "prod", Tag = "t" });

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("did you mean 'production'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Deploy_WithoutTag_AsksForOne()
    {
        var result = Plan(new PlanRequest { Lane = "runtime", Environment = "production" });

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--tag TAG", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void BinaryLaneWithPlaceholder_WithoutArguments_SaysWhatToPass()
    {
        var result = Plan(new PlanRequest { Lane = "lightning-ops" });

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("after '--'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void BinaryLaneWithFixedCommand_RejectsArguments()
    {
        var result = Plan(new PlanRequest { Lane = "lightning-wallet-executor", Args = ["extra"] });

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
    }

    [Fact]
    public void BinaryLane_ArgumentsThatSpellAForbiddenCommand_AreFrozen()
    {
        var result = Plan(new PlanRequest { Lane = "lightning-ops", Args = ["mix", "test"] });

        Assert.Equal(ExitCodes.FrozenLegacy, result.ExitCode);
    }

    [Fact]
    public void LocalPlatform_StagingDeploy_ProvesTheRevisionBeforeGivingItTraffic()
    {
        var plan = Plan(new PlanRequest { Lane = "runtime", Environment = "staging", Tag = "t1", Platform = PlatformKind.Local }).Plan!;

        Assert.Equal([typeof(CheckImage), typeof(CheckService), typeof(CheckPermissions)], plan.Steps.Take(3).Select(s => s.GetType()));
        var deploy = Assert.IsType<DeployRevision>(plan.Steps[3]);
        Assert.True(deploy.NoTraffic);
        Assert.Equal("local://runtime:t1", deploy.Image);
        var kinds = plan.Steps.Select(s => s.GetType()).ToList();
        Assert.True(kinds.IndexOf(typeof(ExecuteJob)) < kinds.IndexOf(typeof(RunSmokeCheck)));
        var traffic = Assert.IsType<SetTraffic>(plan.Steps[^3]);
        Assert.Equal([new TrafficSplit(RevisionRef.NewTagged("dm-t1"), 100)], traffic.Splits);
        Assert.IsType<RemoveTrafficTags>(plan.Steps[^2]);
        Assert.Equal(["runtime-migrate"], ((ExecuteJob)plan.Steps[kinds.IndexOf(typeof(ExecuteJob))]).Command);
    }

    [Fact]
    public void ReleaseTags_KeepTheLanesCount_ElseTheDefaults_ElseFive()
    {
        var full = MatrixLoader.Load(Path.Combine(RepoPaths.Corpus("good"), "full.yaml")).Matrix!;
        int KeepOf(Matrix matrix, string lane, string env) =>
            Planner.Plan(matrix, new PlanRequest { Lane = lane, Environment = env, Tag = "t1" }).Plan!.Steps.OfType<RemoveTrafficTags>().Single().Keep;

        Assert.Equal(5, KeepOf(Example, "runtime", "staging"));
        Assert.Equal(3, KeepOf(full, "api", "staging"));
        Assert.Equal(8, full.Defaults.ReleaseTags.Keep);
    }

    /// <summary>The local platform rehearses exactly what Cloud Run will do: the same steps in the same order, only the platform's words differ.</summary>
    [Theory]
    [InlineData("runtime", "staging")]
    [InlineData("runtime", "production")]
    [InlineData("openagents-control-service", "staging")]
    [InlineData("openagents-control-service", "production")]
    public void LocalAndCloudRunDeploys_HaveTheSameStepsInTheSameOrder(string lane, string env) =>
        AssertSameStepsOnBothPlatforms(new PlanRequest { Lane = lane, Environment = env, Tag = "t1" });

    /// <summary>A rollout, with and without a tag deployed first, walks the same stages and checks on both platforms.</summary>
    [Theory]
    [InlineData("runtime", "production", "t1")]
    [InlineData("runtime", "production", null)]
    [InlineData("openagents-control-service", "production", "t1")]
    [InlineData("openagents-control-service", "staging", null)]
    public void LocalAndCloudRunRollouts_HaveTheSameStepsInTheSameOrder(string lane, string env, string? tag) =>
        AssertSameStepsOnBothPlatforms(new PlanRequest { Lane = lane, Environment = env, Tag = tag, Action = PlanAction.Rollout });

    [Fact]
    public void ARollout_ChecksTheCanaryAloneAtZero_AnalysesEachStageBetween_AndEndsAtAHundred()
    {
        var plan = Plan(new PlanRequest { Lane = "openagents-control-service", Environment = "production", Action = PlanAction.Rollout, Tag = "t1" }).Plan!;

        var rollout = plan.Steps.SkipWhile(s => s is not SetTraffic).ToList();
        Assert.Equal(
            ["set-traffic", "smoke-check", "smoke-check", "smoke-check", "gate-check", "gate-check", "gate-check",
             "set-traffic", "analysis", "set-traffic", "analysis", "set-traffic", "analysis", "set-traffic", "write-receipt"],
            rollout.Select(s => s.KindName));
        Assert.Equal([0, 5, 25, 50, 100], rollout.OfType<SetTraffic>().Select(t => t.Splits.Single(x => x.Revision.Role == RevisionRole.Canary).Percent));
        Assert.All(rollout.OfType<RunSmokeCheck>(), k => Assert.Equal((RevisionRole.Canary, "dm-t1"), (k.Revision.Role, k.TrafficTag)));
        Assert.Equal(["control-staging-health", "control-staging-smoke", "control-manifest-cache"], rollout.OfType<RunGateCheck>().Select(g => g.CheckId));
        Assert.Equal([5, 25, 50], rollout.OfType<AnalyseStage>().Select(a => a.Percent));
        Assert.All(rollout.OfType<AnalyseStage>(), a => Assert.Equal(TimeSpan.FromMinutes(10), a.Window));
        // The canary's deploy comes first (after the preflight and production's verify checks), with no traffic, in production as anywhere.
        var afterPreflight = plan.Steps.SkipWhile(s => s is CheckImage or CheckService or CheckPermissions or CheckRequirements).ToList();
        Assert.Equal(["control-tests", "control-perf-budget"], afterPreflight.TakeWhile(s => s is RunVerifyCheck).Cast<RunVerifyCheck>().Select(v => v.CheckId));
        Assert.True(Assert.IsType<DeployRevision>(afterPreflight[2]).NoTraffic);
        Assert.DoesNotContain(plan.Steps.TakeWhile(s => s is not WriteReceipt), s => s is SetTraffic);
    }

    [Fact]
    public void ARolloutOfALaneWithoutGateChecks_RunsOnlyItsSmokeChecksAtZero()
    {
        var plan = Plan(new PlanRequest { Lane = "runtime", Environment = "production", Action = PlanAction.Rollout }).Plan!;

        Assert.DoesNotContain(plan.Steps, s => s is RunGateCheck or DeployRevision);
        Assert.Equal(["/healthz", "/readyz"], plan.Steps.OfType<RunSmokeCheck>().Select(k => k.Path));
        Assert.Equal(ImageRefs.ServiceCurrent, plan.Steps.OfType<WriteReceipt>().Single().Image);
    }

    private static void AssertSameStepsOnBothPlatforms(PlanRequest request)
    {
        var local = Plan(request with { Platform = PlatformKind.Local }).Plan!;
        var cloud = Plan(request with { Platform = PlatformKind.CloudRun }).Plan!;

        Assert.Equal(PlatformKind.Local, local.Platform);
        Assert.Equal(PlatformKind.CloudRun, cloud.Platform);
        Assert.Equal(cloud.Steps.Select(s => s.KindName), local.Steps.Select(s => s.KindName));
        Assert.Equal(cloud.Steps.Select(Shape), local.Steps.Select(Shape));

        static string Shape(Step s) => s switch
        {
            DeployRevision d => $"{d.NoTraffic} {d.TrafficTag}",
            RunSmokeCheck k => $"{k.Path} {k.Revision.Role} {k.TrafficTag}",
            SetTraffic t => string.Join(',', t.Splits),
            AnalyseStage a => $"{a.Percent} {a.Window}",
            RunGateCheck g => $"{g.CheckId} {g.Method} {g.Path}",
            _ => "",
        };
    }

    [Fact]
    public void LocalPlatform_ProductionDeploy_NeverMovesTraffic()
    {
        var plan = Plan(new PlanRequest { Lane = "openagents-control-service", Environment = "production", Tag = "t1", Platform = PlatformKind.Local }).Plan!;

        Assert.DoesNotContain(plan.Steps, s => s is SetTraffic);
        Assert.Contains(plan.Steps, s => s is RunSmokeCheck);
    }

    [Fact]
    public void LocalPlatform_Build_RunsTheLocalBuildCommand()
    {
        var plan = Plan(new PlanRequest { Lane = "runtime", Action = PlanAction.Build, Tag = "t1", Platform = PlatformKind.Local }).Plan!;

        var build = Assert.IsType<BuildArtifact>(Assert.Single(plan.Steps));
        Assert.Equal(["cargo", "build", "--release", "--manifest-path", "apps/runtime/Cargo.toml"], build.Command);
        Assert.Equal("cargo build --release --manifest-path apps/runtime/Cargo.toml\n", ShellRenderer.Render(plan));
    }

    [Fact]
    public void Plans_AreValues_TheSameRequestGivesAnEqualPlan()
    {
        var request = new PlanRequest { Lane = "runtime", Environment = "staging", Tag = "t1" };

        Assert.Equal(Serialize(Plan(request).Plan!), Serialize(Plan(request).Plan!));
        Assert.Equal(Plan(request).Plan!.Steps[0], Plan(request).Plan!.Steps[0]);
    }

    private static PlanResult Plan(PlanRequest request) => Planner.Plan(Example, request);

    private static string Serialize(Plan plan) => System.Text.Json.JsonSerializer.Serialize(plan);
}
