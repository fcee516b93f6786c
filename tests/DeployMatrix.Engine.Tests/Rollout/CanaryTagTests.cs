using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Engine.Tests.Rollout;

public sealed class CanaryTagTests
{
    private const string Service = "openagents-control-service-staging";
    private const string Stable = Service + "-00001-abc";
    private const string Canary = Service + "-00002-xyz";

    [Fact]
    public void AnUntaggedCloudRunCanary_GetsDmAndItsImageTag()
    {
        Assert.Equal("dm-fff6666", CanaryTag.ToGive(Target(null), Status("registry/control:fff6666"), Canary));
    }

    [Fact]
    public void ACanaryWithAnyTag_GetsNone_NorDoesALocalOne()
    {
        Assert.Null(CanaryTag.ToGive(Target(null), Status("registry/control:fff6666", new TrafficTag("qa", Canary, null)), Canary));
        Assert.Null(CanaryTag.ToGive(Target(PlatformKind.Local), Status("registry/control:fff6666"), Canary));
    }

    [Fact]
    public void ATagAnotherRevisionHas_OrNoImageTag_FallsBackToTheCanarysOwnName()
    {
        Assert.Equal("dm-00002-xyz", CanaryTag.ToGive(Target(null), Status("registry/control:fff6666", new TrafficTag("dm-fff6666", Stable, null)), Canary));
        Assert.Equal("dm-00002-xyz", CanaryTag.ToGive(Target(null), Status("registry/control@sha256:" + new string('a', 64)), Canary));
    }

    private static ResolvedTarget Target(PlatformKind? platform)
    {
        var loaded = MatrixLoader.Load(Path.Combine(RepoPaths.Root, "examples", "openagents", "deploymatrix.yaml"));
        return TargetResolver.Resolve(loaded.Matrix!, "openagents-control-service", "staging", platform).Target!;
    }

    private static ServiceStatus Status(string image, params TrafficTag[] tags) =>
        new(Service, image, [new RevisionInfo(Canary, "registry/control@sha256:" + new string('b', 64), "ready"), new RevisionInfo(Stable, "registry/control@sha256:" + new string('c', 64), "ready")],
            [new TrafficAssignment(Stable, 100)], Canary, Canary, null) { Tags = tags };
}
