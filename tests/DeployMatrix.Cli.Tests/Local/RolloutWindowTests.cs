using DeployMatrix.Cli.Commands;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core.Loading;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace DeployMatrix.Cli.Tests.Local;

/// <summary>
/// The seed's ten-minute windows, kept exactly, without waiting ten minutes: the runner runs on a
/// fake clock against the real agent and proxy, while real requests flow through the real listener.
/// </summary>
[Collection(LocalExampleCollection.Name)]
public sealed class RolloutWindowTests(LocalExampleFixture example)
{
    private const string Lane = "openagents-control-service";

    [Fact]
    public async Task TheSeedsTenMinuteWindow_HoldsTheStageUntilItEnds_ThenAdvances()
    {
        var file = example.Variant("rollout-window.yaml", "min-requests: 100", "min-requests: 20");
        Assert.Equal(0, example.Cli("--file", file, "deploy", Lane, "--env", "staging", "--tag", "t1").ExitCode);
        Assert.Equal(0, example.Cli("--file", file, "deploy", Lane, "--env", "staging", "--tag", "t1", "--no-traffic").ExitCode);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-26T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var matrix = MatrixLoader.Load(Path.Combine(example.Dir, file)).Matrix!;
        using var session = LocalSession.Open(matrix, new CliContext(TextWriter.Null, TextWriter.Null, example.Dir, time));
        var platform = await session.PlatformAsync(Core.Model.PlatformKind.Local, CancellationToken.None);
        var target = matrix.FindLane(Lane)!.FindTarget("staging")!;
        var targetRef = new Core.Planning.TargetRef(Lane, "staging", Core.Model.PlatformKind.Local, target.Service, null, null);
        var service = await platform.GetServiceAsync(targetRef, CancellationToken.None);
        var stable = service.Traffic.Single().Revision;
        var canary = service.LatestCreatedRevision!;
        var policy = matrix.Defaults.Rollout;
        Assert.Equal(TimeSpan.FromMinutes(10), policy.Window);
        var runner = new RolloutRunner(platform, session.State, time, new PlainRolloutReporter(TextWriter.Null), "test", new ReceiptWriter(session.Paths.Receipts, time));

        await using var load = new LoadClient(new Uri($"http://127.0.0.1:{example.Ports["openagents-control-service-staging"]}/api/v1/control/status"), workers: 4, limit: TimeSpan.FromMinutes(2));
        var rollout = runner.StartAsync(new RolloutRequest(targetRef, stable, canary, policy), CancellationToken.None);
        try
        {
            var record = await AdvanceUntilAsync(time, session.State, r => r.Stage == 5, TimeSpan.FromMilliseconds(100));
            var enteredFive = time.GetUtcNow();

            // Nine minutes and fifty seconds into the window: still at 5%, however much traffic has passed.
            await AdvanceUntilAsync(time, session.State, _ => time.GetUtcNow() - enteredFive >= TimeSpan.FromSeconds(590), TimeSpan.FromSeconds(10));
            Assert.Equal(5, session.State.Rollout(record.Id)!.Stage);
            // Past ten minutes the window is analysed and the canary moves on. (The fake clock keeps moving
            // while the runner reads metrics, so the move is seen a little late; never early.)
            await AdvanceUntilAsync(time, session.State, r => r.Stage == 25, TimeSpan.FromSeconds(10));
            Assert.InRange(time.GetUtcNow() - enteredFive, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(13));
        }
        finally
        {
            // However the test went, the rollout ends here, so the lane is free for the next test.
            if (session.State.LatestRollout(Lane, "staging") is { Status: RolloutStatus.Running } running)
            {
                session.State.RequestRolloutControl(running.Id, RolloutControl.Abort, "test", "done measuring");
            }

            for (var i = 0; i < 600 && !rollout.IsCompleted; i++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.WhenAny(rollout, Task.Delay(50));
            }
        }

        var outcome = await rollout;
        await load.StopAsync();
        Assert.Equal(RolloutEnd.Aborted, outcome.End);
        Assert.Empty(load.Failures);
    }

    /// <summary>Moves the fake clock a step at a time (giving the runner real time to act) until the rollout's record satisfies the condition.</summary>
    private static async Task<RolloutRecord> AdvanceUntilAsync(FakeTimeProvider time, StateStore state, Func<RolloutRecord, bool> done, TimeSpan step)
    {
        for (var i = 0; i < 2000; i++)
        {
            if (state.LatestRollout(Lane, "staging") is { Status: RolloutStatus.Running } record && done(record))
            {
                return record;
            }

            await Task.Delay(40);
            time.Advance(step);
        }

        Assert.Fail("the rollout did not get there");
        return null!;
    }
}
