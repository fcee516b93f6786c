using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Rollout;

/// <summary>
/// A stage's window on the fake clock: how soon a canary that clearly errs is stopped, how a slow tail is judged at the
/// window's end, and which error test each end of an extended window uses.
/// </summary>
public sealed class StageAnalysisTests : IDisposable
{
    private const string StableImage = "local://web@sha256:web-t1";
    private const string CanaryImage = "local://web@sha256:web-t2";
    private EngineHarness _h = null!;
    private string _stable = "";

    [Fact]
    public async Task ACanaryThatClearlyErrs_IsBackAtZero_AtTheFirstLookWithTheMinimumSample()
    {
        // 20,000 requests a second: at 5% the canary has its 100 requests (5 failed) after 0.1 s.
        SetUp(EngineHarness.Matrix, rps: 20_000);
        _h.Platform.Behaviours[CanaryImage] = new Behaviour(ErrorRate: 0.05);
        DateTimeOffset? split = null, back = null;
        _h.Platform.RefuseTraffic = splits =>
        {
            if (splits.Any(s => s.Percent == 5))
            {
                split = _h.Time.GetUtcNow();
            }
            else if (split is not null && splits is [{ Percent: 100 } only] && only.Revision == _stable)
            {
                back = _h.Time.GetUtcNow();
            }

            return null;
        };

        var outcome = await RollOutAsync(TimeSpan.FromMilliseconds(100));

        Assert.Equal(RolloutEnd.Failed, outcome.End);
        Assert.Contains("the window stopped early", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(StageAnalysis.Look, back!.Value - split!.Value);
    }

    [Fact]
    public async Task ACanaryWithASlowTail_FailsItsP99Gate_AtTheWindowsEnd_WhileP95Passes()
    {
        SetUp(EngineHarness.Matrix.Replace("min-requests: 100 }", "min-requests: 100, max-p99-regression: 50% }", StringComparison.Ordinal), rps: 2000);
        _h.Platform.Behaviours[CanaryImage] = new Behaviour(LatencyMs: 2, SlowShare: 0.02, SlowMs: 200);
        _h.Platform.Behaviours[StableImage] = new Behaviour(LatencyMs: 2);

        var outcome = await RollOutAsync();

        Assert.Equal(RolloutEnd.Failed, outcome.End);
        Assert.StartsWith("stage 5% failed: p99 latency: p99 canary 200 ms vs stable 2 ms (+9900%, threshold ≤ 50% and ≥ 5 ms)", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("quantile test over 2 ms: canary 20/1000 vs stable 0/19000", outcome.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("p95", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("[5%] canary at 5%, analysing for 10 s", _h.Reporter.Lines);
        Assert.DoesNotContain(_h.Reporter.Lines, l => l.StartsWith("[5%] inconclusive", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AWindowExtendedForLatency_JudgesErrorsAtItsLaterEndsByTheSequentialTest_NotFisherAgain()
    {
        // p95 10 → 50 ms (5.2% of canary requests slow against 4.8%): material, but no rank test confirms it, so the
        // window is extended twice. Errors: 8 of 1,000 against 80 of 19,000 a window — Fisher p=0.073 at the first end
        // passes; on two windows (16/2,000 vs 160/38,000) it would be 0.016 and fail, spending α a second time. The
        // sequential test, which covers every look, has 0.7 there.
        SetUp(EngineHarness.Matrix, rps: 2000);
        _h.Platform.Behaviours[CanaryImage] = new Behaviour(ErrorRate: 0.008, LatencyMs: 10, SlowShare: 0.052, SlowMs: 50);
        _h.Platform.Behaviours[StableImage] = new Behaviour(ErrorRate: 80 / 19000.0, LatencyMs: 10, SlowShare: 0.048, SlowMs: 50);

        var outcome = await RollOutAsync();

        Assert.Equal(RolloutEnd.Failed, outcome.End);
        Assert.StartsWith("stage 5% stayed inconclusive: p95 latency: p95 canary 50 ms vs stable 10 ms", outcome.Reason, StringComparison.Ordinal);
        Assert.EndsWith("n canary=3000, stable=57000; rolled back to " + _stable, outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(2, _h.Reporter.Lines.Count(l => l.StartsWith("[5%] inconclusive, extending the window (p95 latency:", StringComparison.Ordinal)));
        Assert.DoesNotContain("error count test", outcome.Reason, StringComparison.Ordinal);
    }

    private void SetUp(string matrix, double rps)
    {
        _h = new EngineHarness(matrix, p => p.RequestsPerSecond = rps);
        _stable = _h.Platform.Seed("web-staging", StableImage, "t1");
    }

    private async Task<RolloutOutcome> RollOutAsync(TimeSpan? step = null) =>
        (await _h.RunAsync(new RolloutOperation(_h.Workspace).RunAsync(new RolloutStartRequest("web", "staging") { Tag = "t2" }, _h.Reporter, _ => { }, _ => { }, run => run(_h.Reporter),
            CancellationToken.None), step))!;

    public void Dispose() => _h?.Dispose();
}
