using DeployMatrix.Engine.Processes;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;
using Npgsql;

namespace DeployMatrix.FunctionalTests.Team;

/// <summary>A rollout driven on machine A, seen, steered and taken over from machine B.</summary>
public sealed class RolloutAcrossMachinesTests : TeamModeTest
{
    private static string[] Rollout => ["rollout", "runtime", "--env", "production", "--window", "3m", "--override-gate", "--reason", "test"];

    [Fact]
    public async Task PauseAndAbortFromB_ReachTheRolloutADrives_WithinASecond()
    {
        var (stable, canary) = ProductionCanary();
        RecordRolloutChanges();
        var driving = Task.Run(() => CliA(Rollout));
        await RolloutShownAsync("running", 5);

        var pause = CliB("rollout", "pause", "runtime", "--env", "production", "--reason", "hold on");
        var first = await driving.WaitAsync(TimeSpan.FromSeconds(10));
        var resumed = Task.Run(() => CliA("rollout", "resume", "runtime", "--env", "production"));
        await RolloutShownAsync("running", 5);
        var abort = CliB("rollout", "abort", "runtime", "--env", "production", "--reason", "wrong build");
        var second = await resumed.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(pause.ExitCode == 0, pause.ToString());
        var paused = Reaction("pause", "paused");
        Assert.True(paused < TimeSpan.FromSeconds(1), $"A took {paused.TotalMilliseconds:0} ms to pause");
        Assert.Contains("paused by", first.ToString(), StringComparison.Ordinal);
        Assert.True(abort.ExitCode == 0, abort.ToString());
        var aborted = Reaction("abort", "aborted");
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
        Assert.Equal(["interrupted"], Unfinished());
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
        // The resume took over the killed run, so history no longer lists it as waiting for a person.
        Assert.Equal([], Unfinished());
    }

    /// <summary>The state of each operation <c>history</c> lists as begun and never ended.</summary>
    private List<string> Unfinished() =>
        [.. System.Text.Json.JsonDocument.Parse(CliB("history", "--output", "json").Out).RootElement.GetProperty("unfinished").EnumerateArray().Select(u => u.GetProperty("state").GetString()!)];

    /// <summary>
    /// Has the shared database note, with its own clock, every change of a rollout's request and status: the time from
    /// B's request landing to A's act is then A's reaction alone, not B's process start-up (which a loaded machine stretches).
    /// </summary>
    private void RecordRolloutChanges() => Sql("""
        CREATE TABLE rollout_changes (control TEXT, status TEXT NOT NULL, at TIMESTAMPTZ NOT NULL);
        CREATE FUNCTION note_rollout_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO rollout_changes VALUES (NEW.control, NEW.status, clock_timestamp()); RETURN NEW; END $$;
        CREATE TRIGGER rollout_changed AFTER INSERT OR UPDATE ON rollouts FOR EACH ROW EXECUTE FUNCTION note_rollout_change();
        """);

    /// <summary>From the first time <paramref name="control"/> was requested to the first status <paramref name="status"/> after it.</summary>
    private TimeSpan Reaction(string control, string status)
    {
        using var connection = new NpgsqlConnection(PostgresServer.Instance.ConnectionString(new Uri(Url).AbsolutePath.TrimStart('/')));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT EXTRACT(EPOCH FROM (SELECT MIN(at) FROM rollout_changes WHERE status = $2 AND at >= r.at) - r.at) * 1000
            FROM (SELECT MIN(at) AS at FROM rollout_changes WHERE control = $1) r
            """;
        command.Parameters.Add(new NpgsqlParameter { Value = control });
        command.Parameters.Add(new NpgsqlParameter { Value = status });
        var ms = command.ExecuteScalar();
        Assert.True(ms is decimal, $"no '{control}' request followed by status '{status}' was recorded");
        return TimeSpan.FromMilliseconds((double)(decimal)ms);
    }
}
