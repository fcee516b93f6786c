using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Rendering;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Core.Tests.Planning;

/// <summary>
/// Lanes that skip environments, and what a deploy does with traffic (<c>traffic</c> on an environment, a lane
/// or a target): resolved once, planned the same on both platforms, shown in the map.
/// </summary>
public sealed class TrafficPolicyTests
{
    private const string Yaml = """
        matrix: { title: Policies, status: active, updated: 2026-01-01 }
        environments:
          dev:
          staging:
          production: { no-traffic: true }
        defaults: { platform: cloudrun, project: demo-project, region: europe-west1, rollout: { window: 3m } }
        gate: { from: staging, to: production, checks: [{ id: web-health, http: { lane: web, env: staging, path: /healthz } }] }
        lanes:
          web:
            image: europe-docker.pkg.dev/demo-project/web/web:<TAG>
            build: { cloudbuild: cloudbuild.yaml }
            targets:
              dev: { service: web-dev }
              staging: { service: web-staging }
              production: { service: web, traffic: rollout }
          api:
            environments: [dev, production]
            traffic: immediate
            image: europe-docker.pkg.dev/demo-project/api/api:<TAG>
            build: { cloudbuild: cloudbuild.yaml }
            targets:
              production: { service: api-prod }
          worker:
            image: europe-docker.pkg.dev/demo-project/worker/worker:<TAG>
            build: { cloudbuild: cloudbuild.yaml }
            traffic: rollout
            targets:
              staging: { service: worker-staging, traffic: no-traffic }
              production: { service: worker }
        """;

    private static readonly Matrix Matrix = Load();

    [Theory]
    [InlineData("web", "dev", TrafficPolicy.Immediate)]
    [InlineData("web", "production", TrafficPolicy.Rollout)]
    [InlineData("api", "dev", TrafficPolicy.Immediate)]
    [InlineData("api", "production", TrafficPolicy.Immediate)]
    [InlineData("worker", "staging", TrafficPolicy.NoTraffic)]
    [InlineData("worker", "production", TrafficPolicy.Rollout)]
    public void ThePolicy_IsTheTargets_ElseTheLanes_ElseTheEnvironments(string lane, string env, TrafficPolicy expected)
    {
        var target = TargetResolver.Resolve(Matrix, lane, env).Target!;

        Assert.Equal(expected, target.Traffic);
        Assert.Equal(expected != TrafficPolicy.Immediate, target.NoTraffic);
    }

    [Fact]
    public void ALaneListingItsEnvironments_HasATargetInEach_WrittenOrMadeOfTheDefaults_InPromotionOrder()
    {
        var api = Matrix.FindLane("api")!;

        Assert.Equal(["dev", "production"], api.Environments);
        Assert.Equal([("dev", "api"), ("production", "api-prod")], api.Targets.Select(t => (t.Environment, t.Service)));
        Assert.Equal(("demo-project", "europe-west1", PlatformKind.CloudRun), (api.Targets[0].Project, api.Targets[0].Region, api.Targets[0].Platform));
    }

    [Theory]
    [InlineData("api", "staging", "lane 'api' skips environment 'staging' (it deploys to dev, production)")]
    [InlineData("worker", "dev", "lane 'worker' skips environment 'dev' (it deploys to staging, production)")]
    [InlineData("api", "stagin", "lane 'api' has no target for environment 'stagin'")]
    public void APlanInAnEnvironmentTheLaneSkips_IsBadInput_SayingWhereItDeploys(string lane, string env, string error)
    {
        foreach (var action in new[] { PlanAction.Deploy, PlanAction.Rollout, PlanAction.Status, PlanAction.Rollback })
        {
            var result = Planner.Plan(Matrix, new PlanRequest { Lane = lane, Environment = env, Tag = "t1", Action = action });

            Assert.Equal((ExitCodes.BadInput, true), (result.ExitCode, result.Error!.StartsWith(error, StringComparison.Ordinal)));
        }
    }

    [Fact]
    public void AnImmediateTarget_InANoTrafficEnvironment_MovesAllTrafficByItsTag_AfterTheSmokeChecks()
    {
        var shell = Shell("api", "production");

        Assert.Contains("gcloud run deploy api-prod --project demo-project --region europe-west1 --image europe-docker.pkg.dev/demo-project/api/api:t1 --quiet --no-traffic --tag dm-t1\n", shell, StringComparison.Ordinal);
        Assert.EndsWith(
            "gcloud run services update-traffic api-prod --project demo-project --region europe-west1 --to-tags dm-t1=100\n"
            + "# OLD_TAGS: the dm-… tags beyond the newest 5 releases that serve no traffic, read first with: gcloud run services describe api-prod --project demo-project --region europe-west1 --format json; nothing runs when there are none\n"
            + "gcloud run services update-traffic api-prod --project demo-project --region europe-west1 --remove-tags OLD_TAGS\n"
            + "# write the deploy receipt for api-prod\n",
            shell);
    }

    [Theory]
    [InlineData("web", "production", "web goes out in 'production' by rollout (traffic: rollout)")]
    [InlineData("worker", "staging", "'staging' deploys of worker take no traffic (traffic: no-traffic)")]
    public void ANoTrafficOrRolloutTarget_LeavesTheSplit_AndSaysHowTrafficMovesOn(string lane, string env, string note)
    {
        var plan = Planner.Plan(Matrix, new PlanRequest { Lane = lane, Environment = env, Tag = "t1" }).Plan!;

        Assert.DoesNotContain(plan.Steps, s => s is SetTraffic);
        Assert.StartsWith(note, Assert.Single(plan.Notes), StringComparison.Ordinal);
        Assert.DoesNotContain("--to-tags", Shell(lane, env), StringComparison.Ordinal);
    }

    [Fact]
    public void NoTrafficAsked_OnAnImmediateTarget_LeavesTheSplit_AndSaysSo()
    {
        var plan = Planner.Plan(Matrix, new PlanRequest { Lane = "api", Environment = "production", Tag = "t1", NoTraffic = true }).Plan!;

        Assert.DoesNotContain(plan.Steps, s => s is SetTraffic);
        Assert.StartsWith("--no-traffic: this deploy takes no traffic", Assert.Single(plan.Notes), StringComparison.Ordinal);
    }

    [Fact]
    public void TheSamePlans_OnTheLocalPlatform_HaveTheSameSteps()
    {
        foreach (var (lane, env) in new[] { ("api", "production"), ("web", "production"), ("worker", "staging") })
        {
            var cloud = Planner.Plan(Matrix, new PlanRequest { Lane = lane, Environment = env, Tag = "t1" }).Plan!;
            var local = Planner.Plan(Matrix, new PlanRequest { Lane = lane, Environment = env, Tag = "t1", Platform = PlatformKind.Local }).Plan!;

            Assert.Equal(cloud.Steps.Select(s => s.KindName), local.Steps.Select(s => s.KindName));
        }
    }

    [Fact]
    public void TheMap_SaysWhatEachDeployDoesWithTraffic_AndWhereALaneIsSkipped()
    {
        var map = DeployMapRenderer.Render(Matrix);

        Assert.Contains("   - `production`: Cloud Run service `web` (project `demo-project`, region `europe-west1`); deploys take no traffic, then roll out\n", map, StringComparison.Ordinal);
        Assert.Contains("   - `production`: Cloud Run service `api-prod` (project `demo-project`, region `europe-west1`); a deploy takes all traffic once its checks pass\n", map, StringComparison.Ordinal);
        Assert.Contains("   - `staging`: Cloud Run service `worker-staging` (project `demo-project`, region `europe-west1`); deploys take no traffic\n", map, StringComparison.Ordinal);
        Assert.Contains("   - `staging`: skipped (no target); its tags still need the gate's go from `staging` to reach `production`\n", map, StringComparison.Ordinal);
        Assert.Contains("   - `dev`: skipped (no target)\n", map, StringComparison.Ordinal);
    }

    private static string Shell(string lane, string env) =>
        ShellRenderer.Render(Planner.Plan(Matrix, new PlanRequest { Lane = lane, Environment = env, Tag = "t1" }).Plan!);

    private static Matrix Load() => InlineMatrix.Load(Yaml, "steps: [{ name: gcr.io/cloud-builders/docker, args: [build, -t, \"img:$_TAG\", .] }]\n");
}
