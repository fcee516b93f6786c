using DeployMatrix.FunctionalTests.CloudRun;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;
using Npgsql;

namespace DeployMatrix.FunctionalTests.Team;

/// <summary>
/// Two machines of one team: two copies of the example (A and B, each its own folder and
/// <c>.deploymatrix/</c>) deploying the same Cloud Run services (the double) with their state in one
/// PostgreSQL database (a real server, started for the test run), named by <c>DEPLOYMATRIX_STATE_URL</c>.
/// </summary>
public abstract class TeamModeTest : CloudRunExampleTests
{
    private readonly TempDir _dirB = TempDir.CopyOfExample();

    /// <summary>The shared database's URI, with its password.</summary>
    protected string Url { get; } = PostgresServer.Instance.CreateDatabase();

    protected string DirA => Dir.Path;

    protected string DirB => _dirB.Path;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Env["DEPLOYMATRIX_STATE_URL"] = Url;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dirB.Dispose();
    }

    /// <summary>A command on machine A (the base's <c>Cli</c>) or B, on Cloud Run, in team mode.</summary>
    protected CliRun CliA(params string[] args) => Cli(args);

    protected CliRun CliB(params string[] args) => CliRun.Invoke(DirB, Env, ["--platform", "cloudrun", .. args]);

    /// <summary>The shared state as a third party reads it.</summary>
    protected StateStore Shared() => StateStore.Open(StateLocation.Postgres(Url, "test"), TimeProvider.System);

    /// <summary>Runs SQL on the shared database behind every store's back (someone with write access to it).</summary>
    protected void Sql(string sql)
    {
        using var connection = new NpgsqlConnection(PostgresServer.Instance.ConnectionString(new Uri(Url).AbsolutePath.TrimStart('/')));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    protected static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    /// <summary>Production at :bbb2222 with no traffic yet (deployed by A with an override); returns (stable, canary).</summary>
    protected (string Stable, string Canary) ProductionCanary()
    {
        ServeTheExampleApps();
        var stable = Status("runtime", "production").GetProperty("traffic")[0].GetProperty("revision").GetString()!;
        Ok(CliA("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--override-gate", "--reason", "test"));
        return (stable, Status("runtime", "production").GetProperty("latest_created_revision").GetString()!);
    }

    /// <summary>Waits (bounded: 60 s) until the lane's latest rollout is at <paramref name="stage"/> and shown as <paramref name="shown"/> by B's <c>rollout status</c> shows it.</summary>
    protected async Task<string> RolloutShownAsync(string shown, int stage)
    {
        var last = "";
        for (var i = 0; i < 600; i++)
        {
            last = CliB("rollout", "status", "runtime", "--env", "production").Out;
            if (last.Contains($": {shown} at {stage}% ", StringComparison.Ordinal))
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the rollout never showed '{shown}' at {stage}%:\n{last}");
    }
}
