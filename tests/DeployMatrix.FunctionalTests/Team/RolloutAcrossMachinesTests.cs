using System.Diagnostics;
using DeployMatrix.Engine.Processes;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Team;

/// <summary>A rollout driven on machine A, seen, steered and taken over from machine B.</summary>
public sealed class RolloutAcrossMachinesTests : TeamModeTest
{
    private static string[] Rollout => ["rollout", "runtime", "--env", "production", "--window", "3m", "--override-gate", "--reason", "test"];

    [Fact]
    public async Task PauseAndAbortFromB_ReachTheRolloutADrives_WithinASecond()
    {
        var (stable, canary) = ProductionCanary();
        var driving = Task.Run(() => CliA(Rollout));
        await RolloutShownAsync("running", 5);

        var (pause, paused) = Timed(() => CliB("rollout", "pause", "runtime", "--env", "production", "--reason", "hold on"));
        var first = await driving.WaitAsync(TimeSpan.FromSeconds(10));
        var resumed = Task.Run(() => CliA("rollout", "resume", "runtime", "--env", "production"));
        await RolloutShownAsync("running", 5);
        var (abort, aborted) = Timed(() => CliB("rollout", "abort", "runtime", "--env", "production", "--reason", "wrong build"));
        var second = await resumed.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(pause.ExitCode == 0, pause.ToString());
        Assert.True(paused < TimeSpan.FromSeconds(1), $"A took {paused.TotalMilliseconds:0} ms to pause");
        Assert.Contains("paused by", first.ToString(), StringComparison.Ordinal);
        Assert.True(abort.ExitCode == 0, abort.ToString());
        Assert.True(aborted < TimeSpan.FromSeconds(1), $"A took {aborted.TotalMilliseconds:0} ms to abort");
        Assert.Contains("aborted", second.ToString(), StringComparison.Ordinal);
        var traffic = Status("runtime", "production").GetProperty("traffic");
        Assert.Equal((1, stable, 100), (traffic.GetArrayLength(), traffic[0].GetProperty("revision").GetString(), traffic[0].GetProperty("percent").GetInt32()));
        Assert.NotEqual(stable, canary);
    }

    [Fact]
    public async Task ARolloutWhoseDriverWasKilled_IsInterrupted_AndOfTwoResumersOnBOnlyOneTakesIt_ToTheEnd()
    {
        var (_, canary) = ProductionCanary();
        await using var a = CliProcess.Start(DirA, Env, ["--platform", "cloudrun", .. Rollout]);
        await RolloutShownAsync("running", 5);

        a.Signal(Signals.SigKill);
        await a.ExitAsync(TimeSpan.FromSeconds(10));
        var shown = await RolloutShownAsync("interrupted", 5);
        using var start = new Barrier(2);
        var resumers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return CliB("rollout", "resume", "runtime", "--env", "production");
        })).ToList();
        var loser = await await Task.WhenAny(resumers).WaitAsync(TimeSpan.FromSeconds(30));
        await RolloutShownAsync("running", 5);
        Ok(CliB("rollout", "promote", "runtime", "--env", "production", "--reason", "seen enough"));
        var winner = await resumers.Single(r => !r.IsCompleted || r.Result != loser).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("deploymatrix rollout resume|promote|abort runtime --env production", shown, StringComparison.Ordinal);
        Assert.Equal(1, loser.ExitCode);
        Assert.Matches(@"(is locked by \S+ rollout resume runtime --env production \(\S+@\S+ pid \d+\)|cannot be taken over|is running in \S+@\S+ pid \d+; nothing to resume)", loser.Err);
        Assert.True(winner.ExitCode == 0, winner.ToString());
        var traffic = Status("runtime", "production").GetProperty("traffic");
        Assert.Equal((1, canary, 100), (traffic.GetArrayLength(), traffic[0].GetProperty("revision").GetString(), traffic[0].GetProperty("percent").GetInt32()));
        Assert.Contains(": succeeded at 100% ", CliA("rollout", "status", "runtime", "--env", "production").Out, StringComparison.Ordinal);
    }

    private static (CliRun Run, TimeSpan Took) Timed(Func<CliRun> command)
    {
        var watch = Stopwatch.StartNew();
        var run = command();
        return (run, watch.Elapsed);
    }
}
