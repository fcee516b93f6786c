using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Gate;

/// <summary>A gate check of a lane in an environment that runs in several regions names its region, and reads that region's target only.</summary>
public sealed class GateRegionTests : IDisposable
{
    private static readonly string Matrix = EngineHarness.Matrix
        .Replace("      production: { service: web }", "      production: { service: web, regions: [us-east1, europe-west1] }", StringComparison.Ordinal)
        .Replace(
            "    - { id: web-health, http: { lane: web, env: staging, path: /healthz } }",
            "    - { id: web-eu-canary, canary-status: { lane: web, env: production, region: europe-west1 } }",
            StringComparison.Ordinal);

    private readonly EngineHarness _h = new(Matrix);

    [Fact]
    public async Task ACanaryStatusCheckNamingARegion_JudgesThatRegionsRollout_NotTheOthers()
    {
        // us-east1's rollout failed; europe-west1's, the one the check names, succeeded.
        var east = _h.State.StartRollout("web", "production@us-east1", "a", "b", [0, 100], TimeSpan.FromSeconds(10), "running");
        _h.State.UpdateRollout(east, "failed", 1, 100, "stage 100% failed", driven: false);
        var west = _h.State.StartRollout("web", "production@europe-west1", "c", "d", [0, 100], TimeSpan.FromSeconds(10), "running");
        _h.State.UpdateRollout(west, "succeeded", 1, 100, null, driven: false);
        var passed = await RunAsync();

        _h.State.UpdateRollout(west, "failed", 1, 100, "stage 100% failed", driven: false);
        var failed = await RunAsync();

        Assert.Equal(CheckStatus.Passed, Result(passed).Status);
        Assert.Equal((CheckStatus.Failed, "the latest rollout of web in production, europe-west1 is failed at 100%: stage 100% failed"), Result(failed));
        Assert.Equal("deploymatrix status web --env production --region europe-west1", failed.Results.Single(r => r.CheckId == "web-eu-canary").Command);
    }

    public void Dispose() => _h.Dispose();

    private async Task<GateReport> RunAsync() =>
        await new GateOperation(_h.Workspace).RunAsync(null, null, "t1", _ => { }, (_, _) => { }, _ => { }, CancellationToken.None);

    private static (string Status, string Reason) Result(GateReport report) =>
        report.Results.Single(r => r.CheckId == "web-eu-canary") is var r ? (r.Status, r.Reason) : default;
}
