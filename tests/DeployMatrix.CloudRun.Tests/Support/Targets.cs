using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.CloudRun.Tests.Support;

/// <summary>Targets the tests resolve to, as the example's matrix would.</summary>
internal static class Targets
{
    /// <summary>The example's runtime in production, on Cloud Run (openagentsgemini/us-central1).</summary>
    public static readonly ResolvedTarget Runtime = new()
    {
        Lane = "runtime",
        Environment = "production",
        Platform = PlatformKind.CloudRun,
        Service = "runtime",
        Project = "openagentsgemini",
        Region = "us-central1",
        Rollout = RolloutPolicy.Default,
    };
}
