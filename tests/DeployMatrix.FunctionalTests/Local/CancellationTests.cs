using System.Text.Json;
using DeployMatrix.Engine.Processes;
using DeployMatrix.FunctionalTests.Support;
using Microsoft.Data.Sqlite;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>
/// A deploy interrupted during its mandatory migration, as a person (Ctrl-C), CI (SIGTERM) or the kernel
/// (SIGKILL) interrupts it, with the CLI as its own process and the example runtime's real migration
/// slowed by FAULT_MIGRATE_DELAY_MS: the agent owns the execution, so nothing is orphaned, no second
/// execution runs beside the first, and the schema ledger never moves backwards.
/// </summary>
public sealed class CancellationTests : ExampleTest
{
    private const string Slow = "slow.yaml";

    protected override ExampleStage Stage => ExampleStage.Agent;

    [Theory]
    [InlineData(Signals.SigInt, 130)]
    [InlineData(Signals.SigTerm, 143)]
    public async Task ASignalDuringTheMigration_StopsTheExecution_WritesTheReceiptAndAuditRecord_AndReleasesTheLock(int signal, int exitCode)
    {
        SlowMigrations(1500);
        await using var cli = SlowDeploy();
        var execution = await RunningExecutionAsync(cli);
        cli.Signal(signal);
        var code = await cli.ExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(code == exitCode, $"exit {code}\n{cli.Out}\n{cli.Err}");
        Assert.Contains("deploymatrix: cancelled during step", cli.Err, StringComparison.Ordinal);
        var ended = Execution(execution);
        Assert.Equal(("cancelled", "the command that started it was cancelled"), (ended.Status, ended.Reason));
        Assert.False(Signals.IsAlive(ended.Pid ?? throw new InvalidOperationException("no pid recorded")), "the migration process still runs");
        var receipt = ReceiptFiles.Only(Example.Dir, "runtime", "staging", "deploy");
        Assert.StartsWith("cancelled during step", receipt.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.EndsWith($"(execution runtime-migrate-staging-{execution:D5} stopped)", receipt.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal($"runtime-migrate-staging-{execution:D5}", receipt.GetProperty("migrate_execution").GetString());
        Assert.Equal(("cancelled", "cancelled"), (receipt.GetProperty("result").GetString(), receipt.GetProperty("steps").EnumerateArray().Last().GetProperty("status").GetString()));
        Assert.Contains("execute migration job runtime-migrate-staging and wait for it … CANCELLED", cli.Out, StringComparison.Ordinal);
        Assert.Contains("cancelled", Example.Cli("history", "--limit", "3").Out, StringComparison.Ordinal);
        Assert.Equal(0, Example.Cli("audit", "verify").ExitCode);
        // Traffic is as it was before (none): the revision the deploy created took none, and it exists.
        var status = JsonDocument.Parse(Example.Cli("status", "runtime", "--env", "staging", "--output", "json").Out).RootElement.GetProperty("services")[0];
        Assert.Equal(0, status.GetProperty("traffic").GetArrayLength());
        Assert.Equal(1, status.GetProperty("revisions").GetArrayLength());

        // The lock was released: the next deploy runs at once and completes what the first began.
        SlowMigrations(0);
        var again = Example.Cli("--file", Slow, "deploy", "runtime", "--env", "staging", "--tag", "t1", "--lock-wait", "0");
        Assert.True(again.ExitCode == 0, again.ToString());
        AssertLedgerComplete();
    }

    [Fact]
    public async Task WithWaitOnCancel_ASigintLetsTheMigrationFinish_ThenStopsBeforeTheNextStep()
    {
        SlowMigrations(1500);
        await using var cli = SlowDeploy("--wait-on-cancel");
        var execution = await RunningExecutionAsync(cli);
        cli.Signal(Signals.SigInt);
        var code = await cli.ExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(code == 130, $"exit {code}\n{cli.Out}\n{cli.Err}");
        Assert.Equal("succeeded", Execution(execution).Status);
        var receipt = ReceiptFiles.Only(Example.Dir, "runtime", "staging", "deploy");
        Assert.EndsWith($"(execution runtime-migrate-staging-{execution:D5} awaited: it succeeded)", receipt.GetProperty("error").GetString(), StringComparison.Ordinal);
        AssertLedgerComplete();
        Assert.Equal(0, Example.Cli("audit", "verify").ExitCode);
    }

    [Fact]
    public async Task SigkillDuringTheMigration_LeavesTheAgentsExecutionRunning_TheNextDeployWaitsForIt_AndTheLedgerNeverMovesBackwards()
    {
        SlowMigrations(1200);
        await using var cli = SlowDeploy();
        var first = await RunningExecutionAsync(cli);
        cli.Signal(Signals.SigKill);
        await cli.ExitAsync(TimeSpan.FromSeconds(10));

        // The killed deploy recorded no end: history names it interrupted, with the step it was at.
        var history = OutputSchemas.AssertValid("history", Example.Cli("history", "--output", "json"));
        var interrupted = Assert.Single(history.GetProperty("unfinished").EnumerateArray());
        Assert.Equal(("interrupted", "deploy", "runtime", "staging"), (interrupted.GetProperty("state").GetString(), interrupted.GetProperty("action").GetString(),
            interrupted.GetProperty("lane").GetString(), interrupted.GetProperty("environment").GetString()));
        Assert.True(interrupted.TryGetProperty("last_step", out var at) && at.GetProperty("step").GetString()!.Length > 0, interrupted.ToString());

        // Without a wait it is refused, naming the execution; with one it runs after the first has ended.
        var refused = Example.Cli("--file", Slow, "deploy", "runtime", "--env", "staging", "--tag", "t1", "--lock-wait", "0");
        var waited = Example.Cli("--file", Slow, "deploy", "runtime", "--env", "staging", "--tag", "t1", "--lock-wait", "30");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"execution runtime-migrate-staging-{first:D5} of job runtime-migrate-staging is running since", refused.Err, StringComparison.Ordinal);
        Assert.True(waited.ExitCode == 0, waited.ToString());
        var executions = Executions();
        var (orphaned, rerun) = (executions.Single(e => e.Id == first), executions[^1]);
        Assert.Equal("succeeded", orphaned.Status);
        Assert.True(string.CompareOrdinal(rerun.StartedAt, orphaned.EndedAt) >= 0, $"{rerun.StartedAt} began before {orphaned.EndedAt}");
        Assert.DoesNotContain(executions, e => e.Status == "running");
        AssertLedgerComplete();
        Assert.Equal(0, Example.Cli("audit", "verify").ExitCode);
    }

    [Fact]
    public async Task AnExecutionWhoseAgentVanished_IsReconciledToFailed_ItsProcessStopped_AndItsLogKept()
    {
        SlowMigrations(3000);
        await using var cli = SlowDeploy();
        var execution = await RunningExecutionAsync(cli);
        var agent = int.Parse(File.ReadAllText(Path.Combine(Example.Dir, ".deploymatrix", "agent.pid")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Signals.Send(agent, Signals.SigKill));
        await cli.ExitAsync(TimeSpan.FromSeconds(60));
        var restarted = Example.Cli("agent", "start");
        Assert.True(restarted.ExitCode == 0, restarted.ToString());

        var ended = Execution(execution);
        Assert.Equal("failed", ended.Status);
        Assert.StartsWith($"its owner (agent pid {agent}) vanished", ended.Reason, StringComparison.Ordinal);
        Assert.False(Signals.IsAlive(ended.Pid ?? throw new InvalidOperationException("no pid recorded")), "the orphaned migration still runs");
        Assert.Contains("runtime-migrate: applied", File.ReadAllText(ended.Log), StringComparison.Ordinal);
    }

    private void SlowMigrations(int ms)
    {
        var text = File.ReadAllText(Path.Combine(Example.Dir, "deploymatrix.yaml"));
        const string Find = "staging: { service: runtime-staging,";
        Assert.Contains(Find, text, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(Example.Dir, Slow), text.Replace(Find, $"staging: {{ env: {{ FAULT_MIGRATE_DELAY_MS: \"{ms}\" }}, service: runtime-staging,", StringComparison.Ordinal));
    }

    /// <summary>The slowed staging deploy of the runtime at t1, as its own process.</summary>
    private CliProcess SlowDeploy(params string[] extra) =>
        CliProcess.Start(Example.Dir, ["--platform", "local", "--file", Slow, "deploy", "runtime", "--env", "staging", "--tag", "t1", .. extra]);

    /// <summary>Waits (bounded: 60 s, a busy machine starts the revision slowly) until the migration's execution runs and has applied at least one migration.</summary>
    private async Task<long> RunningExecutionAsync(CliProcess cli)
    {
        for (var i = 0; i < 600; i++)
        {
            if (Executions().FirstOrDefault(e => e.Status == "running") is { } running && File.Exists(running.Log)
                && File.ReadAllText(running.Log).Contains("runtime-migrate: applied", StringComparison.Ordinal))
            {
                return running.Id;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the migration never started\n--- stdout\n{cli.Out}\n--- stderr\n{cli.Err}");
        return 0;
    }

    private void AssertLedgerComplete()
    {
        var ledger = File.ReadAllLines(Path.Combine(Example.Dir, ".deploymatrix", "data", "staging", "runtime-staging", "schema_migrations.tsv")).Skip(1).Select(l => int.Parse(l.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([1, 2, 3], ledger);
    }

    private sealed record Row(long Id, string Status, string? Reason, int? Pid, string Log, string StartedAt, string? EndedAt);

    private Row Execution(long id) => Executions().Single(e => e.Id == id);

    private List<Row> Executions()
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(Example.Dir, ".deploymatrix", "state.db")};Pooling=false");
        db.Open();
        using var query = db.CreateCommand();
        query.CommandText = "SELECT id, status, reason, pid, log_path, started_at, ended_at FROM executions WHERE job = 'runtime-migrate-staging' ORDER BY id";
        using var r = query.ExecuteReader();
        var rows = new List<Row>();
        while (r.Read())
        {
            rows.Add(new Row(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetInt32(3), r.GetString(4), r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)));
        }

        return rows;
    }
}
