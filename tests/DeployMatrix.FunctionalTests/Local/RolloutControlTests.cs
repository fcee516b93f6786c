using System.Diagnostics;
using System.Text.Json;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>
/// People stepping into rollouts, and rollouts surviving kill -9: the rollout runs in a real process
/// (the root launcher), driven and killed from here while a load client keeps requests flowing.
/// </summary>
[Collection(LatencyCollection.Name)]
public sealed class RolloutControlTests : ExampleTest
{
    protected override ExampleStage Stage => ExampleStage.Agent;

    private const string Lane = "openagents-control-service";

    [Theory]
    [InlineData(5)]
    [InlineData(25)]
    [InlineData(50)]
    public async Task CliKilledAtAStage_IsInterrupted_AndResumeEndsLikeAnUninterruptedRun(int stage)
    {
        var (file, canary) = PrepareCanary();
        await using var load = Load();
        using (var driver = StartRollout(file, "3s"))
        {
            await WaitForStageAsync(driver, stage);
            driver.Kill();
            await driver.WaitForExitAsync();
        }

        var status = RolloutStatus();
        Assert.Equal("interrupted", status.GetProperty("status").GetString());
        Assert.Equal(stage, status.GetProperty("stage").GetInt32());

        var resumed = Example.Cli("--file", file, "rollout", "resume", Lane, "--env", "staging");
        await load.StopAsync();

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains($"resuming rollout #{status.GetProperty("id").GetInt64()} of {Lane} in staging at {stage}% (interrupted)", resumed.Out, StringComparison.Ordinal);
        AssertEndedLikeAnUninterruptedRun(canary, load);
    }

    [Theory]
    [InlineData(Engine.Processes.Signals.SigInt, 130)]
    [InlineData(Engine.Processes.Signals.SigTerm, 143)]
    public async Task ASignalAtAStage_HoldsTheRolloutAtThatStagesSplit_AndResumeEndsLikeAnUninterruptedRun(int signal, int exitCode)
    {
        var (file, canary) = PrepareCanary();
        await using var load = Load();
        using (var driver = StartRollout(file, "3s"))
        {
            await WaitForStageAsync(driver, 25);
            Assert.True(Engine.Processes.Signals.Send(driver.Id, signal));
            Assert.True(driver.WaitForExit(TimeSpan.FromSeconds(30)), "the rollout did not stop on the signal");
            Assert.True(driver.ExitCode == exitCode, $"exit {driver.ExitCode}: {await driver.StandardError.ReadToEndAsync()}");
        }

        // The journal's last safe state: held at the stage it had reached, with that stage's split.
        var status = RolloutStatus();
        Assert.Equal(("held", 25), (status.GetProperty("status").GetString(), status.GetProperty("stage").GetInt32()));
        Assert.Equal([75, 25], status.GetProperty("traffic").EnumerateArray().Select(t => t.GetProperty("percent").GetInt32()).Order().Reverse());
        var history = Example.Cli("history", "--limit", "3").Out;
        Assert.True(history.Contains("stopped by a signal", StringComparison.Ordinal), history);
        Assert.Equal(0, Example.Cli("audit", "verify").ExitCode);

        var resumed = Example.Cli("--file", file, "rollout", "resume", Lane, "--env", "staging");
        await load.StopAsync();

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        AssertEndedLikeAnUninterruptedRun(canary, load);
    }

    [Fact]
    public async Task AgentKilledAtAStage_HoldsTheRollout_AndResumeAfterRestartFinishesIt()
    {
        var (file, canary) = PrepareCanary();
        await using var load = Load(tolerateFailures: true); // the listener itself is down while the agent is
        Process driver;
        using (driver = StartRollout(file, "3s"))
        {
            await WaitForStageAsync(driver, 25);
            var agentPid = int.Parse(File.ReadAllText(Path.Combine(Example.Dir, ".deploymatrix", "agent.pid")), System.Globalization.CultureInfo.InvariantCulture);
            Process.GetProcessById(agentPid).Kill();
            Assert.True(driver.WaitForExit(TimeSpan.FromSeconds(60)), "the rollout did not notice the agent was gone");
            Assert.Equal(1, driver.ExitCode);
            Assert.Contains("rollout held: ", await driver.StandardError.ReadToEndAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(0, Example.Cli("agent", "start").ExitCode);
        var status = RolloutStatus();
        Assert.Equal("held", status.GetProperty("status").GetString());
        Assert.Equal(25, status.GetProperty("stage").GetInt32());
        // The restarted agent restored the split the rollout left.
        Assert.Equal([75, 25], status.GetProperty("traffic").EnumerateArray().Select(t => t.GetProperty("percent").GetInt32()).Order().Reverse());

        var resumed = Example.Cli("--file", file, "rollout", "resume", Lane, "--env", "staging");
        await load.StopAsync();

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        AssertEndedLikeAnUninterruptedRun(canary, load: null);
    }

    [Fact]
    public async Task PauseThenResume_HoldsTheSplit_ThenFinishes()
    {
        var (file, canary) = PrepareCanary();
        await using var load = Load();
        using var driver = StartRollout(file, "3s");
        await WaitForStageAsync(driver, 5);

        var pause = Example.Cli("rollout", "pause", Lane, "--env", "staging", "--reason", "checking dashboards");
        Assert.True(driver.WaitForExit(TimeSpan.FromSeconds(30)));
        var driverErr = await driver.StandardError.ReadToEndAsync();
        var paused = RolloutStatus();
        var resumed = Example.Cli("--file", file, "rollout", "resume", Lane, "--env", "staging");
        await load.StopAsync();

        Assert.True(pause.ExitCode == 0, pause.ToString());
        Assert.Contains("paused at 5% — paused by ", pause.Out, StringComparison.Ordinal);
        Assert.Equal(1, driver.ExitCode);
        Assert.Contains("rollout paused by ", driverErr, StringComparison.Ordinal);
        Assert.Contains("checking dashboards; continue with: deploymatrix rollout resume|promote|abort", driverErr, StringComparison.Ordinal);
        Assert.Equal("paused", paused.GetProperty("status").GetString());
        Assert.Equal(2, paused.GetProperty("traffic").GetArrayLength());
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        AssertEndedLikeAnUninterruptedRun(canary, load);
    }

    [Fact]
    public async Task Abort_SendsAllTrafficToStable_AndPromote_NeedsAReason_AndSkipsTheRest()
    {
        var (file, canary) = PrepareCanary();
        var stable = Traffic().Single().Revision;
        await using var load = Load();
        using (var driver = StartRollout(file, "3s"))
        {
            await WaitForStageAsync(driver, 5);
            var abort = Example.Cli("rollout", "abort", Lane, "--env", "staging", "--reason", "wrong build");
            Assert.True(driver.WaitForExit(TimeSpan.FromSeconds(30)));

            Assert.True(abort.ExitCode == 0, abort.ToString());
            Assert.Contains($"aborted by {Environment.UserName} at 5%: wrong build; all traffic back on {stable}", abort.Out, StringComparison.Ordinal);
            Assert.Equal(1, driver.ExitCode);
            Assert.Equal([(stable, 100)], Traffic());
            Assert.Equal("aborted", RolloutStatus().GetProperty("status").GetString());
        }

        using (var driver = StartRollout(file, "3s"))
        {
            await WaitForStageAsync(driver, 25);
            var noReason = Example.Cli("rollout", "promote", Lane, "--env", "staging");
            var promote = Example.Cli("rollout", "promote", Lane, "--env", "staging", "--reason", "hotfix INC-7");
            Assert.True(driver.WaitForExit(TimeSpan.FromSeconds(30)));

            Assert.Equal(2, noReason.ExitCode);
            Assert.Contains("needs --reason", noReason.Err, StringComparison.Ordinal);
            Assert.True(promote.ExitCode == 0, promote.ToString());
            Assert.Contains("promoted by ", promote.Out, StringComparison.Ordinal);
            Assert.Contains("at 25%, skipping 50%: hotfix INC-7", promote.Out, StringComparison.Ordinal);
            Assert.Equal(0, driver.ExitCode);
        }

        await load.StopAsync();
        Assert.Empty(load.Failures);
        Assert.Equal([(canary, 100)], Traffic());
        Assert.Contains("promoted by", Example.Cli("history", Lane).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AtATerminal_TheRolloutIsALiveView_OfStagesWeightsAndFigures()
    {
        var (prepared, _) = PrepareCanary();
        var file = prepared;
        await using var load = Load();
        // script(1) gives the CLI a real pseudo-terminal, as a person's shell would.
        var start = new ProcessStartInfo("script")
        {
            WorkingDirectory = Example.Dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var command = $"'{Path.Combine(RepoPaths.Root, "deploymatrix")}' --platform local --file {file} rollout {Lane} --env staging --window 2s";
        foreach (var arg in new[] { "-qfec", command, "/dev/null" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("CI");
        start.Environment["TERM"] = "xterm-256color";
        start.Environment["COLUMNS"] = "140";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "the rollout did not finish");
        var screen = await output;
        await load.StopAsync();

        Assert.True(process.ExitCode == 0, screen);
        Assert.Contains("\u001b[", screen, StringComparison.Ordinal); // drawn, not printed line by line
        foreach (var heading in new[] { "revision", "weight", "requests", "5xx rate", "p95 ms", "left in the window", "(canary)", "(stable)" })
        {
            Assert.Contains(heading, screen, StringComparison.Ordinal);
        }

        Assert.Contains("rollout complete", screen, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rollback", "stayed inconclusive", "failed")]
    [InlineData("hold", "holding the split for a person", "paused")]
    public void LowTraffic_IsInconclusive_NeverPassed_AndThePolicyDecides(string policy, string expected, string status)
    {
        var (file, _) = PrepareCanary("max-extensions: 0", $"on-inconclusive: {policy}");

        var run = Example.Cli("--file", file, "rollout", Lane, "--env", "staging", "--window", "1s");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.True(run.Out.Contains("[  5%] INCONCLUSIVE: ", StringComparison.Ordinal), run.ToString());
        Assert.True(run.Out.Contains("at least 20 each are needed", StringComparison.Ordinal), run.ToString());
        Assert.True(run.Err.Contains(expected, StringComparison.Ordinal), run.ToString());
        Assert.Equal(status, RolloutStatus().GetProperty("status").GetString());
        if (status == "paused")
        {
            Assert.Equal(0, Example.Cli("rollout", "abort", Lane, "--env", "staging").ExitCode);
        }
    }

    [Fact]
    public async Task CanaryFiftyPercentSlowerAtP95_IsRolledBack_NamingTheNumbers()
    {
        var file = Example.Variant("rollout-slow-base.yaml", "staging: { service: openagents-control-service-staging,",
            "staging: { env: { FAULT_DELAY_MS: \"20\" }, service: openagents-control-service-staging,");
        file = Rewrite(file, "min-requests: 100", "min-requests: 20");
        var slow = Rewrite(file, "FAULT_DELAY_MS: \"20\"", "FAULT_DELAY_MS: \"30\"", "rollout-slow-canary.yaml");
        Assert.Equal(0, Example.Cli("--file", file, "deploy", Lane, "--env", "staging", "--tag", "t1").ExitCode);
        Assert.Equal(0, Example.Cli("--file", slow, "deploy", Lane, "--env", "staging", "--tag", "t1", "--no-traffic").ExitCode);

        CliRun run;
        await using (var load = new LoadClient(Url(), workers: 16, limit: TimeSpan.FromMinutes(2), perSecond: 800))
        {
            run = Example.Cli("--file", file, "rollout", Lane, "--env", "staging", "--window", "4s");
            await load.StopAsync();
        }

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.True(run.Err.Contains("p95 latency: p95 canary ", StringComparison.Ordinal), run.ToString());
        Assert.True(run.Err.Contains("Mann-Whitney", StringComparison.Ordinal), run.ToString());
        Assert.True(run.Err.Contains("rolled back to", StringComparison.Ordinal), run.ToString());
    }

    private void AssertEndedLikeAnUninterruptedRun(string canary, LoadClient? load)
    {
        Assert.Equal([(canary, 100)], Traffic());
        var status = RolloutStatus();
        Assert.Equal("succeeded", status.GetProperty("status").GetString());
        var id = status.GetProperty("id").GetInt64();
        var history = Example.Cli("history", Lane).Out;
        foreach (var stage in new[] { 0, 5, 25, 50, 100 })
        {
            Assert.Contains($"stage {stage}%", history, StringComparison.Ordinal);
        }

        var receipts = Directory.GetFiles(Path.Combine(Example.Dir, ".deploymatrix", "receipts"), "*-rollout.json")
            .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement)
            .Where(r => r.GetProperty("rollout_id").GetString() == id.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.Single(receipts);
        Assert.Equal("succeeded", receipts[0].GetProperty("rollout_status").GetString());
        Assert.Equal(0, Example.Cli("audit", "verify").ExitCode);
        if (load is not null)
        {
            Assert.Empty(load.Failures);
        }
    }

    /// <summary>A stable revision with all traffic and a fresh no-traffic canary, with a matrix whose gates suit short windows.</summary>
    /// <param name="policy">More keys for the defaults' rollout policy, e.g. "on-inconclusive: hold".</param>
    private (string File, string Canary) PrepareCanary(params string[] policy)
    {
        var file = Example.Variant("rollout-control.yaml", "max-p95-regression: 20%\n      min-requests: 100\n",
            RolloutTests.QuietLatency + "\n" + string.Concat(policy.Select(p => $"    {p}\n")));
        Assert.Equal(0, Example.Cli("--file", file, "deploy", Lane, "--env", "staging", "--tag", "t1").ExitCode);
        Assert.Equal(0, Example.Cli("--file", file, "deploy", Lane, "--env", "staging", "--tag", "t1", "--no-traffic").ExitCode);
        var status = Example.Cli("status", Lane, "--env", "staging", "--output", "json");
        return (file, JsonDocument.Parse(status.Out).RootElement.GetProperty("services")[0].GetProperty("latest_created_revision").GetString()!);
    }

    private string Rewrite(string file, string find, string replace, string? name = null)
    {
        var text = File.ReadAllText(Path.Combine(Example.Dir, file));
        Assert.Contains(find, text, StringComparison.Ordinal);
        name ??= file;
        File.WriteAllText(Path.Combine(Example.Dir, name), text.Replace(find, replace, StringComparison.Ordinal));
        return name;
    }

    private Process StartRollout(string file, string window)
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "deploymatrix"))
        {
            WorkingDirectory = Example.Dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--platform", "local", "--file", file, "rollout", Lane, "--env", "staging", "--window", window })
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    /// <summary>Waits (bounded) until the running rollout has set the given stage's traffic.</summary>
    private async Task WaitForStageAsync(Process driver, int stage)
    {
        // The first launch may build the CLI.
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(4))
        {
            if (driver.HasExited)
            {
                Assert.Fail($"the rollout process exited ({driver.ExitCode}) before {stage}%: {await driver.StandardError.ReadToEndAsync()}");
            }

            var run = Example.Cli("rollout", "status", Lane, "--env", "staging", "--output", "json");
            if (run.ExitCode == 0)
            {
                var status = JsonDocument.Parse(run.Out).RootElement;
                if (status.GetProperty("status").GetString() == "running" && status.GetProperty("stage").GetInt32() == stage
                    && status.GetProperty("traffic").EnumerateArray().Any(t => t.GetProperty("percent").GetInt32() == stage))
                {
                    return;
                }
            }

            await Task.Delay(50);
        }

        Assert.Fail($"the rollout never reached {stage}%");
    }

    private JsonElement RolloutStatus()
    {
        var run = Example.Cli("rollout", "status", Lane, "--env", "staging", "--output", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement.Clone();
    }

    private List<(string Revision, int Percent)> Traffic()
    {
        var run = Example.Cli("status", Lane, "--env", "staging", "--output", "json");
        return [.. JsonDocument.Parse(run.Out).RootElement.GetProperty("services")[0].GetProperty("traffic").EnumerateArray()
            .Select(t => (t.GetProperty("revision").GetString()!, t.GetProperty("percent").GetInt32()))];
    }

    private Uri Url() => new($"http://127.0.0.1:{Example.Ports["openagents-control-service-staging"]}/api/v1/control/status");

    private LoadClient Load(bool tolerateFailures = false) => new(Url(), workers: tolerateFailures ? 2 : 4, limit: TimeSpan.FromMinutes(4), perSecond: 800);
}
