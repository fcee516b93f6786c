using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Tests.Loading;

/// <summary>The rollout's latency gates as the matrix writes them: any percentile's regression and ceiling, inherited key by key.</summary>
public sealed class LatencyGateLoadingTests
{
    [Fact]
    public void ALaneInheritsTheDefaultsLatencyGates_AndOverridesOnlyTheKeysItWrites()
    {
        var text = """
            matrix: { title: T, status: active, updated: 2026-01-01 }
            defaults: { rollout: { gates: { max-p99-regression: 50%, max-p99: 800ms } } }
            environments: [staging]
            lanes:
              api:
                build: { local: { command: make, artifact: out/api } }
                targets: { staging: {} }
                rollout: { gates: { max-p99: 300ms, max-p50-regression: 10, max-p95-regression: 30% } }
              web:
                build: { local: { command: make, artifact: out/web } }
                targets: { staging: {} }
            """;

        var matrix = MatrixLoader.Parse("m.yaml", text).Matrix!;
        var api = matrix.FindLane("api")!.Rollout!.Gates;

        Assert.Equal(
            [new LatencyGate(50, LatencyLimit.Regression, 10), new LatencyGate(99, LatencyLimit.Regression, 50), new LatencyGate(99, LatencyLimit.Ceiling, 300)],
            api.Latency);
        Assert.Equal(30, api.MaxP95RegressionPercent);
        Assert.Equal(["max-p50-regression", "max-p95-regression", "max-p99-regression", "max-p99"], api.LatencyGates.Select(g => g.Key));
        Assert.Equal([new LatencyGate(99, LatencyLimit.Regression, 50), new LatencyGate(99, LatencyLimit.Ceiling, 800)], matrix.Defaults.Rollout.Gates.Latency);
    }

    [Fact]
    public void WithoutLatencyKeys_OnlyP95sRegressionGates_AtTwentyPercent()
    {
        var gates = RolloutPolicy.Default.Gates;

        Assert.Empty(gates.Latency);
        Assert.Equal([new LatencyGate(95, LatencyLimit.Regression, 20)], gates.LatencyGates);
    }

    [Fact]
    public void ACeilingWrittenBelowAnInheritedLowerPercentilesCeiling_IsReportedWhereItIsWritten()
    {
        var text = """
            matrix: { title: T, status: active, updated: 2026-01-01 }
            defaults: { rollout: { gates: { max-p90: 2s } } }
            environments: [staging]
            lanes:
              api:
                build: { local: { command: make, artifact: out/api } }
                targets: { staging: {} }
                rollout: { gates: { max-p99: 1s } }
            """;

        var result = MatrixLoader.Parse("m.yaml", text);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("m.yaml:8:34: 'max-p90' in 'gates' of 'rollout' of lane 'api' is 2s, above 'max-p99' (1s); a p90 is never above the same requests' p99, so this ceiling could never be the one broken",
            diagnostic.ToString());
    }

    [Fact]
    public void EqualCeilings_AtTwoPercentiles_AreAllowed()
    {
        var text = """
            matrix: { title: T, status: active, updated: 2026-01-01 }
            defaults: { rollout: { gates: { max-p50: 300ms, max-p99: 300ms } } }
            environments: [staging]
            lanes:
              api:
                build: { local: { command: make, artifact: out/api } }
                targets: { staging: {} }
            """;

        Assert.Empty(MatrixLoader.Parse("m.yaml", text).Diagnostics);
    }
}
