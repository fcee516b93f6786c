using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Team;

/// <summary><c>state copy --to URL</c>: a machine's own state moved into the team's database, once, verified.</summary>
public sealed class StateCopyTests : TeamModeTest
{
    [Fact]
    public void ALocalState_IsCopiedOnce_Verified_AndThenServesTheOtherMachine()
    {
        ServeTheExampleApps();
        var alone = Env.Where(e => e.Key != "DEPLOYMATRIX_STATE_URL").ToDictionary();
        Ok(CliRun.Invoke(DirA, alone, "--platform", "cloudrun", "deploy", "runtime", "--env", "staging", "--tag", "aaa1111"));
        Ok(CliRun.Invoke(DirA, alone, "--platform", "cloudrun", "deploy", "openagents-control-service", "--env", "staging", "--tag", "aaa1111"));
        Ok(CliRun.Invoke(DirA, alone, "--platform", "cloudrun", "gate", "--tag", "aaa1111"));

        var first = CliRun.Invoke(DirA, alone, "state", "copy", "--to", Url);
        var again = CliRun.Invoke(DirA, alone, "state", "copy", "--to", Url, "--output", "json");
        var history = Ok(CliB("history"));
        var verified = Ok(CliB("audit", "verify"));
        var deploy = CliB("deploy", "runtime", "--env", "production", "--tag", "aaa1111");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Matches(@"^  journal: \d+ rows \(\d+ copied now\)$", first.Out.Split('\n').First(l => l.StartsWith("  journal:", StringComparison.Ordinal)));
        Assert.Matches(@"copied [1-9]\d* rows into postgresql://deploymatrix@127\.0\.0\.1:\d+/\w+; verified: every table there equals this machine's", first.Out);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(0, OutputSchemas.AssertValid("state-copy", again).GetProperty("copied").GetInt32());
        Assert.Contains("gate", history.Out, StringComparison.Ordinal);
        Assert.Matches(@"^audit log intact: 3 records, every receipt unchanged", verified.Out);
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.DoesNotContain(PostgresServer.Instance.Password, first.ToString() + again, StringComparison.Ordinal);
    }

    [Fact]
    public void ADatabaseHoldingOtherState_IsRefused_AndNothingIsCopied()
    {
        var alone = Env.Where(e => e.Key != "DEPLOYMATRIX_STATE_URL").ToDictionary();
        Ok(CliRun.Invoke(DirA, alone, "--platform", "cloudrun", "deploy", "runtime", "--env", "staging", "--tag", "aaa1111"));
        Ok(CliB("deploy", "runtime", "--env", "staging", "--tag", "aaa1111"));
        using var before = Shared();
        var rows = before.JournalEntries(10_000).Count;

        var copy = CliRun.Invoke(DirA, alone, "state", "copy", "--to", Url);

        Assert.Equal(1, copy.ExitCode);
        Assert.Matches(@"already holds other state \(\d+ rows? in \w+ that \S+state\.db does not have\); copy into an empty database, nothing was copied", copy.Err);
        using var after = Shared();
        Assert.Equal(rows, after.JournalEntries(10_000).Count);
    }
}
