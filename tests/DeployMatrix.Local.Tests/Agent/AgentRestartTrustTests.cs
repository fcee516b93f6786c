using System.Diagnostics;
using System.Text.Json;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Supervisor;
using DeployMatrix.Local.Tests.Support;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;
using Microsoft.Data.Sqlite;

namespace DeployMatrix.Local.Tests.Agent;

/// <summary>
/// A restarting agent does not trust state.db as code: it launches only stored artifacts whose content still
/// matches their digest, and kills a recorded process only if pid and start time both still name it.
/// </summary>
public sealed class AgentRestartTrustTests
{
    private static readonly AgentOptions Quick = new() { ReadinessTimeout = TimeSpan.FromSeconds(3), StopGrace = TimeSpan.FromSeconds(2) };

    [Fact]
    public async Task RowRewrittenToRunBinSh_IsRefusedAtAgentStart_AndNothingRuns()
    {
        await using var h = new AgentHarness();
        var revision = await h.DeployControlAsync("svc", TestPorts.Free());
        await h.SplitAsync("svc", (revision.Name, 100));
        await h.Agent.DisposeAsync();
        var ran = Path.Combine(h.Dir, "ran");
        RewriteLaunch(h, revision.Name, launch => launch with { Executable = "/bin/sh", Args = ["-c", $"touch '{ran}'; exec sleep 30"] });

        await using var restarted = new LocalAgent(h.Paths, h.State, TimeProvider.System, Quick);
        await restarted.ReconcileAsync(CancellationToken.None);

        var record = h.State.FindRevision(revision.Name)!;
        Assert.False(File.Exists(ran), "the program the row named was run");
        Assert.Equal((RevisionStatus.Failed, "stop", null), (record.Status, record.Desired, record.Pid));
        Assert.Contains("refused to launch: /bin/sh is not the stored artifact of sha256:", record.Reason, StringComparison.Ordinal);
        Assert.Equal(record.Reason, restarted.GetService("staging", "svc")!.Revisions.Single().Reason);
    }

    [Fact]
    public async Task StoredArtifactEditedAfterTheBuild_IsRefusedAtAgentStart()
    {
        await using var h = new AgentHarness();
        var revision = await h.DeployControlAsync("svc", TestPorts.Free());
        await h.SplitAsync("svc", (revision.Name, 100));
        await h.Agent.DisposeAsync();
        var stored = JsonSerializer.Deserialize<LaunchSpec>(h.State.FindRevision(revision.Name)!.Launch)!.Executable;
        var mode = File.GetUnixFileMode(stored);
        File.SetUnixFileMode(stored, mode | UnixFileMode.UserWrite);
        await File.AppendAllTextAsync(stored, "tampered");
        File.SetUnixFileMode(stored, mode);

        await using var restarted = new LocalAgent(h.Paths, h.State, TimeProvider.System, Quick);
        await restarted.ReconcileAsync(CancellationToken.None);

        var record = h.State.FindRevision(revision.Name)!;
        Assert.Equal((RevisionStatus.Failed, null), (record.Status, record.Pid));
        Assert.Contains($"was changed after it was built", record.Reason, StringComparison.Ordinal);
        Assert.Contains(revision.Digest, record.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordedRevisionPid_NowAnotherProcessNamingTheArtifact_IsNotKilled()
    {
        await using var h = new AgentHarness();
        var revision = await h.DeployControlAsync("svc", TestPorts.Free());
        await h.SplitAsync("svc", (revision.Name, 100));
        var recorded = h.State.FindRevision(revision.Name)!;
        await h.Agent.DisposeAsync();
        var executable = JsonSerializer.Deserialize<LaunchSpec>(recorded.Launch)!.Executable;
        // The pid went to an unrelated process whose command line happens to name the artifact.
        using var stranger = await Sleeper.StartAsync($"{executable} --not-ours");
        Execute(h, "UPDATE revisions SET pid = $pid, pid_start_time = $start WHERE name = $n",
            ("$pid", stranger.Id), ("$start", recorded.PidStartTime), ("$n", revision.Name));

        await using var restarted = new LocalAgent(h.Paths, h.State, TimeProvider.System, Quick);
        await restarted.ReconcileAsync(CancellationToken.None);

        Assert.False(stranger.HasExited, "an unrelated process was killed");
        Assert.Equal(RevisionStatus.Ready, h.State.FindRevision(revision.Name)!.Status);
    }

    [Fact]
    public async Task OrphanedExecution_IsKilledOnlyWhenPidAndStartTimeBothStillNameIt()
    {
        await using var h = new AgentHarness();
        await h.Agent.DisposeAsync();
        const string digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        using var orphan = await Sleeper.StartAsync("orphan");
        // Start times count clock ticks (10 ms): started in the same tick, the stranger would carry the orphan's
        // start time and rightly be taken for it. Later by several ticks, it is another process by both marks.
        await Task.Delay(TimeSpan.FromMilliseconds(50));
        using var stranger = await Sleeper.StartAsync(digest[7..]);
        Assert.NotEqual(ProcessStartTime.Of(orphan.Id), ProcessStartTime.Of(stranger.Id));
        var (orphanId, _) = h.State.StartExecution("staging", "a-migrate", "local://a@" + digest, digest, _ => "a.log", ownerPid: 1);
        h.State.SetExecutionPid(orphanId!.Value, orphan.Id, ProcessStartTime.Of(orphan.Id));
        var (strangerId, _) = h.State.StartExecution("staging", "b-migrate", "local://b@" + digest, digest, _ => "b.log", ownerPid: 1);
        h.State.SetExecutionPid(strangerId!.Value, stranger.Id, ProcessStartTime.Of(orphan.Id));

        await using var restarted = new LocalAgent(h.Paths, h.State, TimeProvider.System, Quick);
        await restarted.ReconcileAsync(CancellationToken.None);

        Assert.True(orphan.WaitForExit(TimeSpan.FromSeconds(5)), "the orphaned execution still runs");
        Assert.False(stranger.HasExited, "an unrelated process was killed");
        Assert.Contains("the process it left was stopped", h.State.FindExecution(orphanId.Value)!.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("stopped", h.State.FindExecution(strangerId!.Value)!.Reason, StringComparison.Ordinal);
    }

    private static void RewriteLaunch(AgentHarness h, string revision, Func<LaunchSpec, LaunchSpec> change)
    {
        var launch = change(JsonSerializer.Deserialize<LaunchSpec>(h.State.FindRevision(revision)!.Launch)!);
        Execute(h, "UPDATE revisions SET launch = $l WHERE name = $n", ("$l", JsonSerializer.Serialize(launch)), ("$n", revision));
    }

    /// <summary>Writes to state.db behind the agent's back, as anyone who can write the file can.</summary>
    private static void Execute(AgentHarness h, string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = new SqliteConnection($"Data Source={h.Paths.StateDb};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        Assert.Equal(1, command.ExecuteNonQuery());
    }
}

/// <summary>A real <c>sleep 60</c> with a chosen command line; killed when disposed.</summary>
internal sealed class Sleeper : IDisposable
{
    private readonly Process _process;

    private Sleeper(Process process) => _process = process;

    /// <summary>Starts <c>sleep 60</c> with <paramref name="argv0"/> as its command line (bash's <c>exec -a</c>).</summary>
    public static async Task<Sleeper> StartAsync(string argv0)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false };
        foreach (var arg in new[] { "-c", "exec -a \"$0\" sleep 60", argv0 })
        {
            start.ArgumentList.Add(arg);
        }

        var sleeper = new Sleeper(Process.Start(start)!);
        // Until bash has exec'd, the command line is bash's own.
        var watch = Stopwatch.StartNew();
        while (!(await File.ReadAllTextAsync($"/proc/{sleeper.Id}/cmdline")).StartsWith(argv0, StringComparison.Ordinal))
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), "sleep did not start");
            await Task.Delay(10);
        }

        return sleeper;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public bool WaitForExit(TimeSpan limit) => _process.WaitForExit(limit);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
