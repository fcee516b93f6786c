using System.Text.Json;
using DeployMatrix.CloudRun.Gcloud;
using DeployMatrix.Core.Model;
using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// <c>--executor gcloud</c>: the example's Cloud Run plans carried out by invoking gcloud (a recording
/// stand-in on PATH; the real CLI cannot be installed here). What runs must be exactly what
/// <c>plan --format shell</c> prints, word for word, in order; gcloud's answers decide the outcome.
/// </summary>
public sealed class GcloudExecutorTests : IAsyncLifetime
{
    private const string Registry = "us-central1-docker.pkg.dev/openagentsgemini";
    private readonly TempDir _dir = TempDir.CopyOfExample();
    private readonly TempDir _bin = new();
    private CloudRunDouble _app = null!;
    private Dictionary<string, string> _env = null!;

    private string State => Path.Combine(_bin.Path, "state");

    public async Task InitializeAsync()
    {
        File.Copy(Path.Combine(RepoPaths.Root, "tests", "DeployMatrix.FunctionalTests", "CloudRun", "fake-gcloud"), Path.Combine(_bin.Path, "gcloud"));
        File.SetUnixFileMode(Path.Combine(_bin.Path, "gcloud"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(State);
        // The deployed services answer their smoke checks here (any path outside Google's APIs answers 200).
        _app = await CloudRunDouble.StartAsync();
        foreach (var service in new[] { "runtime", "runtime-staging", "openagents-control-service", "openagents-control-service-staging" })
        {
            File.WriteAllText(Path.Combine(State, $"url-{service}"), _app.BaseUri.ToString().TrimEnd('/'));
            File.WriteAllText(Path.Combine(State, $"image-{service}"), $"{Registry}/{service}:aaa1111");
            File.WriteAllText(Path.Combine(State, $"latest-{service}"), $"{service}-00001-abc");
            File.WriteAllText(Path.Combine(State, $"traffic-{service}"), $"{service}-00001-abc=100");
        }

        _env = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = $"{_bin.Path}:/usr/bin:/bin" };
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _dir.Dispose();
        _bin.Dispose();
    }

    [Theory]
    [InlineData("runtime", "staging")]
    [InlineData("openagents-control-service", "staging")]
    public void Deploy_RunsExactlyThePlansGcloudCommands_AndSucceeds(string lane, string env)
    {
        var plan = Cli("plan", lane, "--env", env, "--tag", "bbb2222", "--format", "shell");

        var run = Cli("deploy", lane, "--env", env, "--tag", "bbb2222", "--executor", "gcloud");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Commands(plan.Out), Calls());
        Assert.Contains(_app.Calls, c => c == "app GET /readyz");
        var receipt = Receipt(run);
        if (lane == "runtime")
        {
            Assert.Equal("none", receipt.GetProperty("drift").GetString()); // the migration ran and the three images agree
        }
        else
        {
            Assert.False(receipt.TryGetProperty("drift", out _), "a lane without a migration has no drift check");
        }

        Assert.Equal($"{Registry}/{(lane == "runtime" ? "runtime/runtime" : "openagents-control-service/control")}:bbb2222", receipt.GetProperty("deployed_image").GetString());
    }

    [Theory]
    [InlineData("runtime", "runtime-00002-abc=100")]
    [InlineData("openagents-control-service", "openagents-control-service-00001-abc=100")]
    public void ProductionDeploys_RunExactlyThePlansGcloudCommands_TheRuntimeTakingAllTrafficWithItsDeploy_TheControlServiceNone(string lane, string traffic)
    {
        var plan = Cli("plan", lane, "--env", "production", "--tag", "bbb2222", "--format", "shell");

        // The control service's production verify (its tests, the staging budget) is not what this test is about.
        var run = Cli("deploy", lane, "--env", "production", "--tag", "bbb2222", "--executor", "gcloud", "--override-gate", "--skip-verify", "--reason", "gcloud executor test");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Commands(plan.Out).Where(c => c[0] == "gcloud"), Calls());
        Assert.Equal(traffic, Read($"traffic-{lane}"));
        // The runtime's (traffic: direct) is upstream's deploy: it moves traffic itself, and nothing moves it after.
        Assert.Equal(lane == "runtime", plan.Out.Contains($"gcloud run deploy {lane} --project openagentsgemini --region us-central1 --image {Registry}/runtime/runtime:bbb2222 --quiet\n", StringComparison.Ordinal));
        Assert.Equal(lane != "runtime", plan.Out.Contains("update-traffic", StringComparison.Ordinal));
        Assert.Equal(lane != "runtime", plan.Out.Contains("--no-traffic --tag dm-bbb2222", StringComparison.Ordinal));
    }

    [Fact]
    public void ANoTrafficProductionDeploy_HasTheMigrationAndDriftCheck_ThenTrafficAndRollback_ResolveStableAndCanary()
    {
        var plan = Cli("plan", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--format", "shell");
        var deploy = Cli("deploy", "runtime", "--env", "production", "--tag", "bbb2222", "--no-traffic", "--executor", "gcloud", "--override-gate", "--reason", "gcloud executor test");

        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Equal(Commands(plan.Out), Calls());
        Assert.Equal("runtime-00001-abc=100", Read("traffic-runtime"));
        Assert.Equal("runtime-00002-abc", Receipt(deploy).GetProperty("revision").GetString());

        var shift = Cli("traffic", "runtime", "--env", "production", "--to", "runtime-00001-abc=90,runtime-00002-abc=10", "--executor", "gcloud");
        Assert.True(shift.ExitCode == 0, shift.ToString());
        Assert.Equal("runtime-00001-abc=90,runtime-00002-abc=10", Read("traffic-runtime"));

        var calls = Calls().Count;
        var rollback = Cli("rollback", "runtime", "--env", "production", "--executor", "gcloud");

        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        Assert.Equal("runtime-00001-abc=100", Read("traffic-runtime"));
        Assert.Equal(
            [Words("gcloud run services describe runtime --project openagentsgemini --region us-central1 --format json"),
             Words("gcloud run services update-traffic runtime --project openagentsgemini --region us-central1 --to-revisions runtime-00001-abc=100")],
            Calls().Skip(calls));

        // The same rule as through the APIs: a rollback that would change nothing fails, moving nothing.
        calls = Calls().Count;
        var again = Cli("rollback", "runtime", "--env", "production", "--executor", "gcloud");
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("runtime-00001-abc, the stable revision, already serves all traffic of runtime: nothing to roll back; name another with --to (its revisions were not listed; 'status' shows them)", again.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Calls().Skip(calls), c => c.Contains("update-traffic", StringComparer.Ordinal));
    }

    [Fact]
    public void AFailedMigrationJob_FailsTheDeploy_NamingTheExecution_AndHowToReadIt()
    {
        File.WriteAllText(Path.Combine(State, "fail-job-runtime-migrate-staging"), "");

        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222", "--executor", "gcloud");

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"migration job runtime-migrate-staging failed \(gcloud run jobs execute .* exited 1: ERROR: \(gcloud\.run\.jobs\.execute\) The execution failed\.\); logs: gcloud run jobs executions describe runtime-migrate-staging-x\d+ ", run.Err);
        Assert.DoesNotContain(Calls(), c => c.Contains("executions"));
    }

    [Fact]
    public void ARevisionRunningAnotherImage_StopsBeforeTheMigration()
    {
        File.WriteAllText(Path.Combine(State, "describe-image-runtime-staging"), $"{Registry}/runtime/runtime:zzz9999");

        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222", "--executor", "gcloud");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"printed {Registry}/runtime/runtime:zzz9999, not the requested {Registry}/runtime/runtime:bbb2222", run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(Calls(), c => c[2] == "jobs");
    }

    [Fact]
    public void TheMigrateRerunHelper_ReadsTheServicesImage_AndRunsTheJobWithIt()
    {
        var plan = Cli("plan", "runtime", "--env", "production", "--action", "migrate", "--format", "shell");
        File.WriteAllText(Path.Combine(State, "image-runtime"), $"{Registry}/runtime/runtime:abc0001");

        var run = Cli("migrate", "runtime", "--env", "production", "--rerun", "--executor", "gcloud");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Commands(plan.Out.Replace("\"$IMAGE\"", $"{Registry}/runtime/runtime:abc0001", StringComparison.Ordinal)), Calls());
        Assert.Equal($"{Registry}/runtime/runtime:abc0001", Read("job-image-runtime-migrate"));
    }

    [Fact]
    public void Build_RunsTheSeedsBuildsSubmit_FromTheMatrixFolder()
    {
        var plan = Cli("plan", "runtime", "--action", "build", "--tag", "bbb2222", "--format", "shell", "--platform", "cloudrun");

        var run = Cli("build", "runtime", "--tag", "bbb2222", "--platform", "cloudrun", "--executor", "gcloud");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Commands(plan.Out), Calls());
        Assert.Equal(new DirectoryInfo(_dir.Path).FullName, File.ReadAllText(Path.Combine(State, "call-0000.pwd")).Trim());
        Assert.Contains("→ logs: https://console.cloud.google.com/cloud-build/builds/0f2a6d1e-1111-2222-3333-444455556666?project=123", run.Out, StringComparison.Ordinal);
        // The build's log, which gcloud tails to its stdout, is passed through line by line, in order.
        Assert.Contains("  starting build \"0f2a6d1e-1111-2222-3333-444455556666\"\n  Step #0: Successfully built 5a1c2e3f4b6d\n", run.Out.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void AFailedGcloudBuild_ExitsOne_WithGcloudsError_AndIsAudited()
    {
        File.WriteAllText(Path.Combine(State, "fail-build"), "");

        var run = Cli("build", "runtime", "--tag", "bbb2222", "--platform", "cloudrun", "--executor", "gcloud");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("exited 1: ERROR: (gcloud.builds.submit) build 0f2a6d1e-1111-2222-3333-444455556666 completed with status \"FAILURE\"", run.Err, StringComparison.Ordinal);
        Assert.Contains("failed: gcloud builds submit", Cli("history", "runtime").Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASigintDuringTheMigration_CancelsTheRunningExecution_NotJustGcloud()
    {
        File.WriteAllText(Path.Combine(State, "slow-job-runtime-migrate-staging"), "");
        await using var cli = Support.CliProcess.Start(_dir.Path, _env, "deploy", "runtime", "--env", "staging", "--tag", "bbb2222", "--executor", "gcloud");
        await UntilRunningAsync(cli, "runtime-migrate-staging");
        cli.Signal(Engine.Processes.Signals.SigInt);
        var code = await cli.ExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(code == 130, $"exit {code}\n{cli.Out}\n{cli.Err}");
        var execution = Read("execution-runtime-migrate-staging");
        Assert.Contains(Calls(), c => c.SequenceEqual(["gcloud", "run", "jobs", "executions", "cancel", execution, "--project", "openagentsgemini", "--region", "us-central1"]));
        Assert.True(File.Exists(Path.Combine(State, "cancelled-runtime-migrate-staging")));
        var receipt = Support.ReceiptFiles.Only(_dir.Path, "runtime", "staging", "deploy");
        Assert.EndsWith($"(execution {execution} stopped)", receipt.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithWaitOnCancel_ASigtermLetsGcloudSeeTheExecutionThrough()
    {
        File.WriteAllText(Path.Combine(State, "slow-job-runtime-migrate-staging"), "");
        await using var cli = Support.CliProcess.Start(_dir.Path, _env, "deploy", "runtime", "--env", "staging", "--tag", "bbb2222", "--executor", "gcloud", "--wait-on-cancel");
        await UntilRunningAsync(cli, "runtime-migrate-staging");
        cli.Signal(Engine.Processes.Signals.SigTerm);
        await Task.Delay(500);
        File.Delete(Path.Combine(State, "slow-job-runtime-migrate-staging")); // the execution ends by itself
        var code = await cli.ExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(code == 143, $"exit {code}\n{cli.Out}\n{cli.Err}");
        Assert.DoesNotContain(Calls(), c => c.Contains("cancel"));
        var receipt = Support.ReceiptFiles.Only(_dir.Path, "runtime", "staging", "deploy");
        Assert.EndsWith($"(execution {Read("execution-runtime-migrate-staging")} awaited: it succeeded)", receipt.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheGcloudExecutor_RefusesLocalTargets_InOneLine()
    {
        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222", "--executor", "gcloud", "--platform", "local");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--executor gcloud carries out Cloud Run targets", run.Err, StringComparison.Ordinal);
        Assert.Empty(Calls());
    }

    /// <summary>Until the stand-in's execution of <paramref name="job"/> runs (bounded: 60 s).</summary>
    private async Task UntilRunningAsync(Support.CliProcess cli, string job)
    {
        for (var i = 0; i < 600 && !File.Exists(Path.Combine(State, $"running-{job}")); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(File.Exists(Path.Combine(State, $"running-{job}")), $"the deploy never started the migration\n{cli.Out}\n{cli.Err}");
    }

    [Fact]
    public void APrivateService_IsSmokeChecked_WithGcloudsIdentityToken_WhichNoOutputOrReceiptShows()
    {
        PrivateRuntimeStaging();
        var token = _app.GcloudIdentityToken("dev@example.com");
        File.WriteAllText(Path.Combine(State, "identity-token"), token + "\n");

        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222", "--executor", "gcloud", "--verbose");

        Assert.True(run.ExitCode == 0, run.ToString());
        // Each smoke path was refused once without credentials, then answered for the logged-in account.
        Assert.Equal(["/healthz", "/healthz", "/readyz", "/readyz"], _app.AppRequests.Select(r => r.Path));
        Assert.Equal([403, null, 403, null], _app.AppRequests.Select(r => r.Refused));
        Assert.Equal(["user:dev@example.com", "user:dev@example.com"], _app.AppRequests.Where(r => r.Refused is null).Select(r => r.Invoker));
        Assert.Single(Calls(), c => c.SequenceEqual(GcloudStepRunner.PrintIdentityToken)); // minted once for the command
        var written = string.Join("\n", Directory.GetFiles(Path.Combine(_dir.Path, ".deploymatrix"), "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".db", StringComparison.Ordinal) && !f.Contains("-wal", StringComparison.Ordinal)).Select(File.ReadAllText));
        Assert.DoesNotContain(token, run.Out + run.Err + written, StringComparison.Ordinal);
    }

    [Fact]
    public void APrivateService_WithoutAnIdentityTokenFromGcloud_FailsTheSmokeCheck_NamingTheFix()
    {
        PrivateRuntimeStaging();

        var run = Cli("deploy", "runtime", "--env", "staging", "--tag", "bbb2222", "--executor", "gcloud");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("the service refused the smoke check without credentials, and 'gcloud auth print-identity-token' gave no identity token", run.Err, StringComparison.Ordinal);
        Assert.Contains("holds roles/run.invoker", run.Err, StringComparison.Ordinal);
        Assert.Equal("runtime-staging-00001-abc=100", Read("traffic-runtime-staging")); // the new revision took no traffic
    }

    /// <summary>runtime-staging as a service in the double that requires an invoker: only dev@example.com holds the role.</summary>
    private void PrivateRuntimeStaging()
    {
        const string Name = "projects/openagentsgemini/locations/us-central1/services/runtime-staging";
        _app.AddService("openagentsgemini", "us-central1", "runtime-staging", $"{Registry}/runtime/runtime:aaa1111");
        _app.MakePrivate(Name, "user:dev@example.com");
        File.WriteAllText(Path.Combine(State, "url-runtime-staging"), _app.Service(Name)["uri"]!.GetValue<string>());
    }

    private CliRun Cli(params string[] args) => CliRun.Invoke(_dir.Path, _env, args);

    private string Read(string name) => File.ReadAllText(Path.Combine(State, name)).Trim();

    private JsonElement Receipt(CliRun run) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir.Path, run.Out.Split('\n').Single(l => l.StartsWith("receipt: ", StringComparison.Ordinal))["receipt: ".Length..].Trim()))).RootElement;

    /// <summary>The commands a shell plan runs: its lines without comments, with VAR=$(…) captures unwrapped.</summary>
    /// <summary>
    /// The commands the shell plan runs, as the executor runs them on a service with no old release tags:
    /// the reads its comments name (<c>--format json</c>) before a move by tag, and for the tag removal the
    /// read alone, since there is nothing to remove.
    /// </summary>
    private static List<IReadOnlyList<string>> Commands(string shell) =>
        [.. shell.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith('#'))
            .Select(l => l.Contains("=$(", StringComparison.Ordinal) ? l[(l.IndexOf("=$(", StringComparison.Ordinal) + 3)..^1] : l)
            .Select(Words)
            .SelectMany(c => c.Contains("OLD_TAGS") ? [Describe(c, "--remove-tags")]
                : c.Contains("--to-tags") ? [Describe(c, "--to-tags"), c] // the split serving before is read first
                : new[] { c })];

    /// <summary>The service read (<c>--format json</c>) that names what an update-traffic line acts on.</summary>
    private static IReadOnlyList<string> Describe(IReadOnlyList<string> update, string flag) =>
        [.. update.Take(3), "describe", .. update.Skip(4).TakeWhile(w => w != flag), "--format", "json"];

    /// <summary>What the stand-in gcloud was called with, in order (each call's arguments, NUL-separated).</summary>
    private List<IReadOnlyList<string>> Calls() =>
        [.. Directory.GetFiles(State, "call-*").Where(f => !f.EndsWith(".pwd", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(f => (IReadOnlyList<string>)["gcloud", .. File.ReadAllText(f).Split('\0', StringSplitOptions.RemoveEmptyEntries)])];

    private static IReadOnlyList<string> Words(string line) => CommandWords.Split(line);
}
