using System.Diagnostics;
using System.Text.Json;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;
using Microsoft.Data.Sqlite;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>
/// What one engine guarantees, end to end on the local platform: a tag travels with what it names, plan
/// and deploy agree on the tag of a dirty tree, and a compound command holds its lane's lock throughout.
/// </summary>
[Collection(LatencyCollection.Name)]
public sealed class ReleaseTests : ExampleTest
{
    private const string Lane = "openagents-control-service";

    [Fact]
    public void TwoIdenticalBuildsTaggedDifferently_KeepTheirOwnTags_ThroughDeployStatusReceiptsAndTheRolloutsGateCheck()
    {
        Ok(Example.Cli("build", Lane, "--tag", "ta"));
        Ok(Example.Cli("build", Lane, "--tag", "tb"));
        Assert.Equal(Digest("ta"), Digest("tb"));
        // ta names the content staging runs for both gated lanes (t1's bytes), so the gate may approve it.
        Ok(Example.Cli("build", "runtime", "--tag", "ta"));
        Ok(Example.Cli("gate", "--tag", "ta"));

        var ta = Ok(Example.Cli("deploy", Lane, "--env", "production", "--tag", "ta"));
        Ok(Example.Cli("traffic", Lane, "--env", "production", "--to", "LATEST=100"));
        var tb = Ok(Example.Cli("deploy", Lane, "--env", "production", "--tag", "tb", "--override-gate", "--reason", "identical bytes"));

        Assert.Equal("ta", Receipt(ta).GetProperty("tag").GetString());
        Assert.Equal("tb", Receipt(tb).GetProperty("tag").GetString());
        Assert.Equal(Receipt(ta).GetProperty("deployed_image").GetString(), Receipt(tb).GetProperty("deployed_image").GetString());
        var revisions = Service("production").GetProperty("revisions").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("tag").GetString());
        Assert.Equal(["tb", "ta"], revisions.Values);
        Assert.Contains("(tag ta)", Example.Cli("status", Lane, "--env", "production").Out, StringComparison.Ordinal);

        // The canary is tb's revision: its own tag has no passing gate, whatever ta's content passed.
        var refused = Example.Cli("rollout", Lane, "--env", "production", "--window", "1s");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("tag tb has not been through the gate", refused.Err, StringComparison.Ordinal);

        // A canary of ta is let through by the gate ta passed.
        Ok(Example.Cli("deploy", Lane, "--env", "production", "--tag", "ta"));
        var started = Example.Cli("rollout", Lane, "--env", "production", "--window", "1s");
        Assert.Contains($"rollout of {Lane} in production: ", started.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("through the gate", started.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void OnADirtyTree_PlanAndDeploy_NameTheSameTag()
    {
        File.WriteAllText(Path.Combine(Example.Dir, ".gitignore"), ".deploymatrix/\ntarget/\n");
        Git("init", "-q");
        Git("add", ".");
        Git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "example");
        var sha = Git("rev-parse", "--short", "HEAD").Trim();
        File.AppendAllText(Path.Combine(Example.Dir, "deploymatrix.yaml"), "# an uncommitted change\n");

        var plan = Ok(Example.Cli("plan", Lane, "--env", "staging"));
        var refused = Example.Cli("build", Lane);
        Ok(Example.Cli("build", Lane, "--allow-dirty"));
        var deploy = Ok(Example.Cli("deploy", Lane, "--env", "staging"));

        // The dirty tag names the tree's content: one tag for plan, build and deploy of this tree.
        var dirty = System.Text.RegularExpressions.Regex.Match(plan.Out, $"tag ({sha}-dirty-[0-9a-f]{{8}})").Groups[1].Value;
        Assert.StartsWith($"plan: deploy {Lane} → staging on local, tag {sha}-dirty-", plan.Out, StringComparison.Ordinal);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"pass --allow-dirty (tag {dirty})", refused.Err, StringComparison.Ordinal);
        Assert.Equal(dirty, Receipt(deploy).GetProperty("tag").GetString());
        Assert.Contains($"deploy local://{Lane}:{dirty} as a new revision", deploy.Out, StringComparison.Ordinal);
        // Edited again, the tree is other content with another tag.
        File.AppendAllText(Path.Combine(Example.Dir, "deploymatrix.yaml"), "# a second change\n");
        Assert.DoesNotContain(dirty, Ok(Example.Cli("plan", Lane, "--env", "staging")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DuringRolloutWithATag_AConcurrentTrafficChange_WaitsUntilTheRolloutEnds()
    {
        var file = Example.Variant("rollout.yaml", "max-p95-regression: 20%\n      min-requests: 100", RolloutTests.QuietLatency);
        var stable = Service("staging").GetProperty("traffic")[0].GetProperty("revision").GetString()!;
        await using var load = new LoadClient(new Uri($"http://127.0.0.1:{Example.Ports["openagents-control-service-staging"]}/api/v1/control/status"), workers: 4, limit: TimeSpan.FromMinutes(4), perSecond: 800);

        using var rollout = Launch("--platform", "local", "--file", file, "rollout", Lane, "--env", "staging", "--tag", "t1", "--window", "1s");
        // From its first step (the canary's deploy) the compound command holds the lock as the rollout.
        Assert.Contains($" rollout {Lane} --env staging", await WaitForLockAsync(), StringComparison.Ordinal);
        var traffic = Task.Run(() => Example.Cli("--lock-wait", "240", "traffic", Lane, "--env", "staging", "--to", $"{stable}=100"));
        Assert.True(rollout.WaitForExit(TimeSpan.FromMinutes(4)), "the rollout did not end");
        var run = await traffic.WaitAsync(TimeSpan.FromMinutes(2));
        await load.StopAsync();

        Assert.True(rollout.ExitCode == 0, await rollout.StandardError.ReadToEndAsync());
        Assert.True(run.ExitCode == 0, run.ToString());
        // The traffic change began (its journal opens once it holds the lock) only after the rollout ended.
        Assert.True(Journal("set-traffic", "started") > Journal("rollout", "succeeded"), "the traffic change ran before the rollout ended");
        Assert.Equal(stable, Service("staging").GetProperty("traffic")[0].GetProperty("revision").GetString());
        // The canary's deploy and the rollout held the lock as one: nothing else came between them, and the traffic change came after.
        var actions = Example.Cli("history", Lane, "-n", "500").Out.Split('\n').Where(l => l.StartsWith('#')).Select(l => l.Split(' ')[3]).ToList();
        var deployed = actions.LastIndexOf("deploy");
        var ended = actions.IndexOf("rollout", deployed);
        Assert.All(actions[(deployed + 1)..ended], a => Assert.Equal("rollout-stage", a));
        Assert.Equal("set-traffic", actions[ended + 1]);
    }

    [Fact]
    public void ARebuildWithOtherContent_CannotMoveATag_ForceRetagCan_AndItVoidsTheGatesGo()
    {
        // The fixture's gate gave t1 a GO; a build whose output differs every time is "other content".
        var rebuilt = Example.Variant("rebuilt.yaml",
            "command: cargo build --release --manifest-path apps/openagents.com/service/Cargo.toml\n        artifact: target/release/openagents-control-service",
            "command: sh -c \"date +%s%N > target/rebuilt.bin\"\n        artifact: target/rebuilt.bin");
        var bound = Digest("t1");

        var refused = Example.Cli("--file", rebuilt, "build", Lane, "--tag", "t1");
        var afterRefusal = Digest("t1");
        var noReason = Example.Cli("--file", rebuilt, "build", Lane, "--tag", "t1", "--force-retag");
        var retagged = Ok(Example.Cli("--file", rebuilt, "build", Lane, "--tag", "t1", "--force-retag", "--reason", "toolchain fix"));
        var promoted = Example.Cli("deploy", Lane, "--env", "production", "--tag", "t1");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"tag t1 of lane {Lane} is bound to {bound} (since ", refused.Err, StringComparison.Ordinal);
        Assert.Matches("and this build made sha256:[0-9a-f]{64}; a tag names one content", refused.Err);
        Assert.Equal(bound, afterRefusal);
        Assert.Equal(2, noReason.ExitCode);
        Assert.NotEqual(bound, Digest("t1"));
        Assert.Contains($"tag t1 re-pointed from {bound} to {Digest("t1")}; 1 gate verdict(s) for it voided", retagged.Out, StringComparison.Ordinal);
        Assert.Equal(1, promoted.ExitCode);
        Assert.Contains("the gate's GO for tag t1 (", promoted.Err, StringComparison.Ordinal);
        Assert.Contains($"was voided: re-tagged {bound} -> {Digest("t1")}: toolchain fix", promoted.Err, StringComparison.Ordinal);
        Assert.Equal(1L, Sql("SELECT COUNT(*) FROM audit WHERE action = 'retag'"));
        Assert.Equal(0, Example.Cli("audit", "verify").ExitCode);
    }

    /// <summary>The id of the last journal row that opens or ends an operation of <paramref name="action"/> with <paramref name="status"/>.</summary>
    private long Journal(string action, string status) =>
        (long)Sql("SELECT MAX(id) FROM journal WHERE action = $a AND status = $s AND step IS NULL", ("$a", action), ("$s", status))!;

    /// <summary>One value read from the workspace's state, as another program would read it.</summary>
    private object? Sql(string sql, params (string Name, object Value)[] parameters)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(Example.Dir, ".deploymatrix", "state.db")};Pooling=false");
        db.Open();
        using var query = db.CreateCommand();
        query.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            query.Parameters.AddWithValue(name, value);
        }

        return query.ExecuteScalar();
    }

    /// <summary>Waits (bounded) until someone holds the lane's staging lock; returns the holder.</summary>
    private async Task<string> WaitForLockAsync()
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromMinutes(4))
        {
            if (Sql("SELECT holder FROM locks WHERE scope = $s", ("$s", $"{Lane}/staging")) is string holder)
            {
                return holder;
            }

            await Task.Delay(20);
        }

        Assert.Fail("nobody took the lock");
        return "";
    }

    private Process Launch(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "deploymatrix")) { WorkingDirectory = Example.Dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    private string Digest(string tag)
    {
        var run = Ok(Example.Cli("plan", Lane, "--env", "staging", "--tag", tag, "--output", "json"));
        Assert.Contains($"local://{Lane}:{tag}", run.Out, StringComparison.Ordinal);
        return (string)Sql("SELECT digest FROM tag_bindings WHERE platform = 'local' AND lane = $l AND tag = $t", ("$l", Lane), ("$t", tag))!;
    }

    private string Git(params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = Example.Dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var git = Process.Start(start)!;
        var output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, git.StandardError.ReadToEnd());
        return output;
    }

    private JsonElement Service(string env)
    {
        var run = Ok(Example.Cli("status", Lane, "--env", env, "--output", "json"));
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("services")[0].Clone();
    }

    private JsonElement Receipt(CliRun run) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Example.Dir, run.Out.Split('\n').Single(l => l.StartsWith("receipt: ", StringComparison.Ordinal))["receipt: ".Length..].Trim()))).RootElement;

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }
}
