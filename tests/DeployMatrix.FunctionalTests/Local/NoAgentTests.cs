using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Local;

public sealed class NoAgentTests
{
    [Fact]
    public void Deploy_WithoutARunningAgent_SaysHowToStartIt()
    {
        using var dir = new TempDir();
        dir.Write("deploymatrix.yaml", """
            matrix: { title: T, status: active, updated: 2026-01-01 }
            environments: [staging]
            lanes:
              api:
                build: { local: { command: "true", artifact: api } }
                targets: { staging: { port: 18999 } }
            """);

        var run = CliRun.Invoke(dir.Path, "deploy", "api", "--env", "staging", "--tag", "t1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("start it with: deploymatrix agent start", Assert.Single(run.ErrLines), StringComparison.Ordinal);
    }

    [Fact]
    public void AgentStatus_WhenNotRunning_ExitsOne()
    {
        using var dir = new TempDir();
        dir.Write("deploymatrix.yaml", "matrix: { title: T, status: active, updated: 2026-01-01 }\nenvironments: [staging]\nlanes:\n  ops: { kind: binary, run: echo <command> }\n");

        var run = CliRun.Invoke(dir.Path, "agent", "status");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("agent is not running", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_BinaryLane_PassesArgumentsAndExitCodeThrough()
    {
        using var dir = new TempDir();
        dir.Write("deploymatrix.yaml", "matrix: { title: T, status: active, updated: 2026-01-01 }\nenvironments: [staging]\nlanes:\n  ops: { kind: binary, run: sh -c <command> }\n");

        var run = CliRun.Invoke(dir.Path, "run", "ops", "--", "echo hello; exit 4");

        Assert.Equal(4, run.ExitCode);
        Assert.Equal("hello\n", run.Out);
    }

    [Fact]
    public void Run_ForbiddenCommand_IsFrozenWith78_UnlessUnfrozenWithATicket_WhichIsAudited()
    {
        using var dir = new TempDir();
        dir.Write("deploymatrix.yaml", "matrix: { title: T, status: active, updated: 2026-01-01 }\nenvironments: [staging]\nlanes:\n  ops: { kind: binary, run: echo <command> }\nlegacy:\n  commands: [{ command: mix test, why: legacy Elixir }]\n");

        var frozen = CliRun.Invoke(dir.Path, "run", "ops", "--", "mix", "test");
        var halfUnfrozen = CliRun.Invoke(dir.Path, "run", "ops", "--unfreeze", "--", "mix", "test");
        var unfrozen = CliRun.Invoke(dir.Path, "run", "ops", "--unfreeze", "--change-ticket", "CHG-1234", "--", "mix", "test");
        var history = CliRun.Invoke(dir.Path, "history");
        var verify = CliRun.Invoke(dir.Path, "audit", "verify");

        Assert.Equal(78, frozen.ExitCode);
        Assert.Contains("forbidden legacy command 'mix test' (legacy Elixir)", frozen.Err, StringComparison.Ordinal);
        Assert.Contains("--unfreeze --change-ticket ID", frozen.Err, StringComparison.Ordinal);
        Assert.Equal(2, halfUnfrozen.ExitCode);
        Assert.Equal(0, unfrozen.ExitCode);
        Assert.Equal("mix test\n", unfrozen.Out);
        Assert.Contains("unfreeze ops: allowed", history.Out, StringComparison.Ordinal);
        Assert.Contains("\"change_ticket\":\"CHG-1234\"", history.Out, StringComparison.Ordinal);
        Assert.Equal(0, verify.ExitCode);
    }

    [Fact]
    public void AuditVerify_NamesTheFirstTamperedRecord()
    {
        using var dir = new TempDir();
        dir.Write("deploymatrix.yaml", "matrix: { title: T, status: active, updated: 2026-01-01 }\nenvironments: [staging]\nlanes:\n  ops: { kind: binary, run: echo <command> }\nlegacy:\n  commands: [mix test]\n");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, CliRun.Invoke(dir.Path, "run", "ops", "--unfreeze", "--change-ticket", $"CHG-{i}", "--", "mix", "test").ExitCode);
        }

        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir.Path, ".deploymatrix", "state.db")};Pooling=false"))
        {
            db.Open();
            using var edit = db.CreateCommand();
            edit.CommandText = "UPDATE audit SET inputs = replace(inputs, 'CHG-1', 'CHG-9') WHERE id = 2";
            Assert.Equal(1, edit.ExecuteNonQuery());
        }

        var run = CliRun.Invoke(dir.Path, "audit", "verify");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("audit log broken at record #2: its content does not match its hash", run.Out, StringComparison.Ordinal);
    }
}
