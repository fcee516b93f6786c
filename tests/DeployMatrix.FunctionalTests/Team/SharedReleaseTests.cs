using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Team;

/// <summary>Verdicts, locks and the audit chain, shared by two machines through one PostgreSQL database.</summary>
public sealed class SharedReleaseTests : TeamModeTest
{
    [Fact]
    public void AGateGoOnMachineA_LetsMachineBDeployToProduction_WithoutOverride()
    {
        ServeTheExampleApps();
        Ok(CliA("build", "runtime", "--tag", "bbb2222"));
        Ok(CliA("build", "openagents-control-service", "--tag", "bbb2222"));
        Ok(CliA("deploy", "runtime", "--env", "staging", "--tag", "bbb2222"));
        Ok(CliA("deploy", "openagents-control-service", "--env", "staging", "--tag", "bbb2222"));
        Ok(CliA("gate", "--tag", "bbb2222"));
        // The same machine B with its own state (no team mode) has never seen that verdict.
        var alone = CliRun.Invoke(DirB, Env.Where(e => e.Key != "DEPLOYMATRIX_STATE_URL").ToDictionary(), "--platform", "cloudrun", "deploy", "runtime", "--env", "production", "--tag", "bbb2222");

        var deploy = CliB("deploy", "runtime", "--env", "production", "--tag", "bbb2222");

        Assert.Equal(1, alone.ExitCode);
        Assert.Contains("tag bbb2222 has not been through the gate from staging to production", alone.Err, StringComparison.Ordinal);
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.DoesNotContain("override", deploy.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("deploy runtime (production): succeeded", CliA("history").Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHundredRoundsOfTrafficChangesFromAAndBAtOnce_OneProceedsAtATime_TheOtherNamesTheHolder()
    {
        var (stable, canary) = ProductionCanary();
        var splits = new[] { $"{stable}=90,{canary}=10", $"{stable}=50,{canary}=50" };
        int refusals = 0, both = 0;
        for (var round = 0; round < 100; round++)
        {
            using var start = new Barrier(2);
            var runs = await Task.WhenAll(new Func<string[], CliRun>[] { CliA, CliB }.Select((cli, n) => Task.Run(() =>
            {
                start.SignalAndWait();
                return cli(["--lock-wait", "0", "traffic", "runtime", "--env", "production", "--to", splits[n]]);
            })));

            Assert.All(runs, r => Assert.True(r.ExitCode is 0 or 1, r.ToString()));
            var refused = runs.Where(r => r.ExitCode == 1).ToList();
            Assert.True(refused.Count <= 1, $"round {round}: both refused\n{runs[0]}\n{runs[1]}");
            foreach (var r in refused)
            {
                // The holder as people read it: the command, user@host and pid, since when.
                Assert.Matches(@"runtime in production is locked by \S+ set-traffic runtime --env production \(\S+@\S+ pid \d+\) since \S+; wait for it to finish", r.Err);
                refusals++;
            }

            both += refused.Count == 0 ? 1 : 0;
        }

        // However each round went, no two changes ever overlapped: each began after the one before it ended.
        using var shared = Shared();
        var journal = shared.JournalEntries(100_000).Where(j => j.Action == "set-traffic").ToList();
        var spans = journal.Where(j => j.Step is null && j.Status == "started")
            .Select(s => (Start: s.At, End: journal.Single(e => e.Operation == s.Id && e.Id != s.Id && e.Step is null).At))
            .OrderBy(s => s.Start, StringComparer.Ordinal).ToList();
        Assert.Equal(200 - refusals, spans.Count);
        Assert.All(spans.Zip(spans.Skip(1)), pair => Assert.True(string.CompareOrdinal(pair.Second.Start, pair.First.End) >= 0, $"{pair.First} overlaps {pair.Second}"));
        Assert.True(refusals > 0, $"in 100 rounds the two never met ({both} rounds ran one after the other)");
    }

    [Fact]
    public async Task AuditAppendsFromAAndBAtOnce_MakeOneChain_AndATruncatedTailIsCaughtByTheAnchor()
    {
        var (stable, canary) = ProductionCanary();
        for (var round = 0; round < 10; round++)
        {
            using var start = new Barrier(2);
            await Task.WhenAll(new Func<string[], CliRun>[] { CliA, CliB }.Select((cli, n) => Task.Run(() =>
            {
                start.SignalAndWait();
                return Ok(cli(["--lock-wait", "60", "traffic", "runtime", "--env", "production", "--to", n == 0 ? $"{stable}=80,{canary}=20" : $"{stable}=70,{canary}=30"]));
            })));
        }

        var verifiedInA = Ok(CliA("audit", "verify"));
        var verifiedInB = Ok(CliB("audit", "verify"));
        var anchor = Ok(CliA("audit", "anchor")).Out.Trim();
        Ok(CliB("audit", "verify", "--anchor", anchor));
        // Someone with write access to the database removes the newest records: what is left still chains.
        Sql("DELETE FROM audit WHERE id > (SELECT MAX(id) - 3 FROM audit)");
        var withoutAnchor = CliB("audit", "verify");
        var withAnchor = CliB("audit", "verify", "--anchor", anchor);

        Assert.Matches(@"^audit log intact: (2[1-9]|[3-9]\d) records, every receipt unchanged", verifiedInA.Out);
        Assert.Equal(verifiedInA.Out, verifiedInB.Out);
        Assert.Equal(0, withoutAnchor.ExitCode);
        Assert.Equal(1, withAnchor.ExitCode);
        Assert.Contains($"the chain no longer reaches the anchor {anchor}: records after #", withAnchor.Out, StringComparison.Ordinal);
    }
}
