using DeployMatrix.Engine.Processes;
using DeployMatrix.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace DeployMatrix.Engine.Tests.Processes;

/// <summary>The one process runner, on real child processes: output, lines as they come, bounds, the stop policy.</summary>
public sealed class ProcessRunnerTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ProcessRunner _runner = new(TimeProvider.System);

    [Fact]
    public async Task AChild_ItsExitCode_AndWhatItPrinted_AreReturnedExactly()
    {
        var lines = new List<ProcessLine>();

        var result = await _runner.RunAsync(Sh("printf 'a\\nb'; printf 'oops\\n' >&2; printf 'c\\0d'; exit 3", onLine: lines.Add), CancellationToken.None);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("a\nbc\0d", result.Stdout);
        Assert.Equal("oops\n", result.Stderr);
        Assert.Equal("oops", result.LastError);
        Assert.Equal(ProcessEnd.Exited, result.End);
        Assert.Contains(new ProcessLine(false, "a"), lines);
        Assert.Contains(new ProcessLine(true, "oops"), lines);
        Assert.Contains(new ProcessLine(false, "bc\0d"), lines);
        Assert.True(result.Duration > TimeSpan.Zero);
    }

    [Fact]
    public async Task Lines_ArriveWhileTheChildRuns_NotWhenItEnds()
    {
        var first = new TaskCompletionSource<string>();
        var spec = Sh("echo first; sleep 5; echo second", onLine: line => first.TrySetResult(line.Text));

        var run = _runner.RunAsync(spec, CancellationToken.None);
        var seen = await first.Task.WaitAsync(TimeSpan.FromSeconds(4));

        Assert.Equal("first", seen);
        Assert.False(run.IsCompleted);
        Assert.Equal("first\nsecond\n", (await run).Stdout);
    }

    [Fact]
    public async Task TheEnvironment_IsInheritedWithChanges_AndALogGetsEveryLine()
    {
        Environment.SetEnvironmentVariable("DM_TEST_REMOVED", "present");
        var log = Path.Combine(_dir.Path, "logs", "child.log");

        var result = await _runner.RunAsync(Sh("echo \"$DM_TEST_SET|${DM_TEST_REMOVED:-gone}|$HOME\"; echo err >&2", log: log, capture: false,
            env: new Dictionary<string, string?> { ["DM_TEST_SET"] = "yes", ["DM_TEST_REMOVED"] = null }), CancellationToken.None);

        Assert.Equal("", result.Stdout);
        var logged = File.ReadAllLines(log);
        Assert.Contains($"yes|gone|{Environment.GetEnvironmentVariable("HOME")}", logged);
        Assert.Contains("err", logged);
    }

    [Fact]
    public async Task PastItsBound_AChildIsAskedToStop_ThenKilled_AndTheResultSaysSo()
    {
        // The child ignores SIGINT: after the grace period its whole tree is killed.
        var spec = Sh("trap '' INT; sleep 30 & wait", timeout: TimeSpan.FromMilliseconds(300)) with { StopGrace = TimeSpan.FromMilliseconds(300) };

        var result = await _runner.RunAsync(spec, CancellationToken.None);

        Assert.True(result.TimedOut);
        Assert.True(result.Duration < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task APoliteChild_StopsOnSigint_WithinItsGrace()
    {
        var marker = Path.Combine(_dir.Path, "stopped");
        var spec = Sh($"trap 'echo bye > {marker}; exit 130' INT; while true; do sleep 0.05; done", timeout: TimeSpan.FromMilliseconds(300));

        var result = await _runner.RunAsync(spec, CancellationToken.None);

        Assert.True(result.TimedOut);
        Assert.Equal(130, result.ExitCode);
        Assert.Equal("bye\n", File.ReadAllText(marker));
    }

    [Fact]
    public async Task Cancellation_StopsTheChild_AndIsThrown()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var watch = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _runner.RunAsync(Sh("sleep 30"), cancel.Token));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task AProgramThatCannotRun_IsOneError_NamingIt()
    {
        var missing = await Assert.ThrowsAsync<ProcessStartException>(() => _runner.RunAsync(new ProcessSpec { Program = "no-such-program-dm", WorkingDirectory = _dir.Path }, CancellationToken.None));

        Assert.Equal("no-such-program-dm", missing.Program);
        Assert.StartsWith("cannot run 'no-such-program-dm': ", missing.Message, StringComparison.Ordinal);
        Assert.NotEmpty(missing.Reason);
    }

    [Fact]
    public async Task AProgram_IsFoundOnTheChildsOwnPath()
    {
        var bin = Path.Combine(_dir.Path, "bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "dm-hello"), "#!/bin/sh\necho hello from $0\n");
        File.SetUnixFileMode(Path.Combine(bin, "dm-hello"), UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var result = await _runner.RunAsync(new ProcessSpec { Program = "dm-hello", WorkingDirectory = _dir.Path, SearchPath = $"/nowhere:{bin}" }, CancellationToken.None);

        Assert.Equal($"hello from {Path.Combine(bin, "dm-hello")}\n", result.Stdout);
        Assert.Equal("dm-hello", new ProcessSpec { Program = "dm-hello", WorkingDirectory = "/", Args = [] }.ToString());
    }

    [Fact]
    public async Task AStartedChild_IsStoppedPolitely_AndReportsItsExit()
    {
        await using var child = _runner.Start(Sh("trap 'exit 7' INT; while true; do sleep 0.05; done"));

        await Task.Delay(200);
        Assert.False(child.HasExited);
        var code = await child.StopAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(7, code);
        Assert.True(child.HasExited);
        Assert.True(child.Pid > 0);
    }

    [Fact]
    public async Task TheTimeout_RunsOnTheInjectedClock()
    {
        var time = new FakeTimeProvider();
        var run = new ProcessRunner(time).RunAsync(Sh("sleep 30", timeout: TimeSpan.FromMinutes(10)) with { StopGrace = TimeSpan.FromMilliseconds(200) }, CancellationToken.None);

        await Task.Delay(300);
        Assert.False(run.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(10));

        Assert.True((await run.WaitAsync(TimeSpan.FromSeconds(20))).TimedOut);
    }

    [Fact]
    public async Task WithoutInheritance_TheChildSeesOnlyTheGivenVariables()
    {
        Environment.SetEnvironmentVariable("DM_TEST_AGENT_SECRET", "present");

        var result = await _runner.RunAsync(new ProcessSpec
        {
            Program = "/usr/bin/env",
            WorkingDirectory = _dir.Path,
            Env = new Dictionary<string, string?> { ["ONLY"] = "this" },
            InheritEnvironment = false,
        }, CancellationToken.None);

        Assert.Equal("ONLY=this\n", result.Stdout);
    }

    [Fact]
    public async Task AStartedChild_IsNamedByPidAndStartTime_EvenWhenItsNameHoldsParenthesesAndSpaces()
    {
        var odd = Path.Combine(_dir.Path, "a) b (c");
        File.Copy("/bin/sleep", odd);
        File.SetUnixFileMode(odd, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        await using var child = _runner.Start(new ProcessSpec { Program = odd, Args = ["30"], WorkingDirectory = _dir.Path, StopGrace = TimeSpan.Zero });

        var started = child.StartTime ?? throw new InvalidOperationException("no start time");

        Assert.True(ProcessStartTime.IsSame(child.Pid, started));
        Assert.False(ProcessStartTime.IsSame(child.Pid, started + 1));
        Assert.True(ProcessStartTime.Of(Environment.ProcessId) < started);
        await child.StopAsync(TimeSpan.Zero);
        Assert.Null(ProcessStartTime.Of(child.Pid));
    }

    private ProcessSpec Sh(string script, Action<ProcessLine>? onLine = null, string? log = null, bool capture = true, TimeSpan? timeout = null, IReadOnlyDictionary<string, string?>? env = null) => new()
    {
        Program = "sh",
        Args = ["-c", script],
        WorkingDirectory = _dir.Path,
        OnLine = onLine,
        LogPath = log,
        Capture = capture,
        Timeout = timeout,
        Env = env ?? new Dictionary<string, string?>(),
    };

    [Fact]
    public void ACommand_IsWrittenForMessages_ProgramFirst()
    {
        Assert.Equal("sh -c exit 3", new ProcessSpec { Program = "sh", Args = ["-c", "exit 3"], WorkingDirectory = "." }.ToString());
    }

    public void Dispose() => _dir.Dispose();
}
