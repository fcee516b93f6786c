using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Team;

/// <summary>The shared database's password, in the URL every command is given, is shown nowhere.</summary>
public sealed class StateSecretTests : TeamModeTest
{
    [Fact]
    public void ThePassword_AppearsInNoOutput_Log_Receipt_EvidenceOrRow()
    {
        var password = PostgresServer.Instance.Password;
        ServeTheExampleApps();
        var runs = new List<CliRun>
        {
            CliA("build", "runtime", "--tag", "bbb2222"),
            CliA("deploy", "runtime", "--env", "staging", "--tag", "bbb2222"),
            CliA("gate", "--tag", "bbb2222"),
            CliB("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--override-gate", "--reason", "test"),
            CliB("status"),
            CliB("-v", "history", "--steps"),
            CliB("audit", "verify"),
            CliA("rollout", "status", "runtime", "--env", "production"),
        };
        // Refusals and failures say where the state is, never with the password.
        var wrong = Env.ToDictionary();
        wrong["DEPLOYMATRIX_STATE_URL"] = Url.Replace(password, password + "x", StringComparison.Ordinal);
        var refused = CliRun.Invoke(DirB, wrong, "--platform", "cloudrun", "status");
        var unreachable = new Dictionary<string, string>(Env) { ["DEPLOYMATRIX_STATE_URL"] = $"postgresql://deploymatrix:{password}@127.0.0.1:1/db?connect_timeout=2" };
        var down = CliRun.Invoke(DirB, unreachable, "--platform", "cloudrun", "status");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("deploymatrix: cannot use the state database postgresql://deploymatrix@127.0.0.1:", refused.Err, StringComparison.Ordinal);
        Assert.Equal(2, down.ExitCode);
        Assert.Contains("password", refused.Err, StringComparison.Ordinal); // it says the password failed, not what it was
        foreach (var run in runs.Append(refused).Append(down))
        {
            Assert.DoesNotContain(password, run.Out + run.Err, StringComparison.Ordinal);
        }

        Assert.Contains(runs, r => r.ExitCode == 0 && r.Out.Contains("receipt: ", StringComparison.Ordinal));
        var files = new[] { DirA, DirB }.SelectMany(d => Directory.GetFiles(Path.Combine(d, ".deploymatrix"), "*", SearchOption.AllDirectories)).ToList();
        Assert.Contains(files, f => f.Contains("/receipts/", StringComparison.Ordinal));
        Assert.Contains(files, f => f.Contains("/gates/", StringComparison.Ordinal) || f.Contains("evidence", StringComparison.Ordinal));
        Assert.All(files, f => Assert.DoesNotContain(password, File.ReadAllText(f), StringComparison.Ordinal));
        using var shared = Shared();
        var rows = string.Join('\n', shared.JournalEntries(10_000).Select(j => $"{j.Actor} {j.Detail} {j.Step}")
            .Concat(shared.AuditRecords().Select(r => $"{r.Inputs} {r.Result} {r.Receipt}")));
        Assert.DoesNotContain(password, rows, StringComparison.Ordinal);
    }
}
