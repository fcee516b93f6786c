using DeployMatrix.Cli.Tests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Local;

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
}
