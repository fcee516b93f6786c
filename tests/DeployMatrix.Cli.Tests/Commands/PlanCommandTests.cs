using System.Text.Json;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

public sealed class PlanCommandTests
{
    private static CliRun Plan(params string[] args) => CliRun.InRepo(["--file", "examples/openagents/deploymatrix.yaml", "plan", .. args]);

    [Fact]
    public void Plan_Text_NumbersTheSteps()
    {
        var run = Plan("runtime", "--env", "production", "--tag", "abc1234");

        Assert.Equal(0, run.ExitCode);
        var lines = run.Out.Split('\n');
        Assert.Equal("plan: deploy runtime → production on cloudrun, tag abc1234", lines[0]);
        Assert.Equal("   1. check that image us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:abc1234 exists", lines[1]);
        Assert.StartsWith("   4. deploy us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:abc1234 as a new revision", lines[4], StringComparison.Ordinal);
        // traffic: direct (the example's runtime production): the migration follows the deploy and its image check.
        Assert.Contains("   8. execute migration job runtime-migrate and wait for it", run.Out, StringComparison.Ordinal);
        Assert.Single(lines, l => l.Contains("traffic: direct", StringComparison.Ordinal) && l.Contains("less safe", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_Json_IsTypedStepsForMachines()
    {
        var run = Plan("runtime", "--env", "production", "--tag", "abc1234", "--output", "json");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        var steps = json.RootElement.GetProperty("steps");
        Assert.Equal("deploymatrix.plan.v1", json.RootElement.GetProperty("schema").GetString());
        Assert.Equal("deploy", json.RootElement.GetProperty("action").GetString());
        // The platform as the matrix and --platform name it.
        Assert.Equal("cloudrun", json.RootElement.GetProperty("platform").GetString());
        Assert.Equal(
            ["check-image", "check-service", "check-permissions", "deploy-revision", "verify-service-image", "update-job-image", "verify-job-image", "execute-job", "check-drift", "smoke-check", "smoke-check", "write-receipt"],
            steps.EnumerateArray().Select(s => s.GetProperty("kind").GetString()));
        Assert.Equal(["run.jobs.get", "run.jobs.update", "run.jobs.run"], steps[2].GetProperty("job_permissions").EnumerateArray().Select(p => p.GetString()));
        // The runtime's production deploys as upstream (traffic: direct): with traffic, untagged.
        Assert.False(steps[3].GetProperty("no_traffic").GetBoolean());
        Assert.False(steps[3].TryGetProperty("traffic_tag", out var tag) && tag.ValueKind != JsonValueKind.Null);
        Assert.Equal("runtime", steps[3].GetProperty("target").GetProperty("service").GetString());
    }

    [Fact]
    public void Plan_Shell_PrintsTheGcloudCommands()
    {
        var run = Plan("openagents-control-service", "--env", "production", "--action", "set-traffic", "--percent", "25", "--format", "shell");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            "# STABLE (the stable revision: the one that served all traffic before the latest change, else the one with most traffic now) and CANARY (latest ready) are read first with: gcloud run services describe openagents-control-service --project openagentsgemini --region us-central1 --format json\n"
            + "gcloud run services update-traffic openagents-control-service --project openagentsgemini --region us-central1 --to-revisions STABLE=75,CANARY=25\n",
            run.Out);
    }

    [Fact]
    public void Plan_BinaryLane_PassesArgumentsAfterDoubleDash()
    {
        var run = Plan("lightning-ops", "--format", "shell", "--", "status", "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("cargo run --manifest-path apps/lightning-ops/Cargo.toml -- status --json\n", run.Out);
    }

    [Theory]
    [InlineData("150")]
    [InlineData("-5")]
    public void Plan_BadPercent_IsOneLineWithTheFixAndExit2(string percent)
    {
        var run = Plan("runtime", "--env", "production", "--action", "set-traffic", "--percent", percent);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("0..100", Assert.Single(run.ErrLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_PercentNotANumber_IsAParseErrorWithExit2()
    {
        var run = Plan("runtime", "--env", "production", "--action", "set-traffic", "--percent", "half");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("half", Assert.Single(run.ErrLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_ABadTagWithNewlinesAndEscapes_IsRefusedOnOneLine_ShownEscaped()
    {
        var run = Plan("runtime", "--env", "production", "--tag", "abc\nforged line\u001b[2J");

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrLines);
        Assert.Contains(@"abc\nforged line\u001b[2J", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', run.Err);
    }

    [Fact]
    public void Plan_LegacyLane_Exits78()
    {
        var run = Plan("openagents-web", "--env", "production", "--tag", "abc1234");

        Assert.Equal(78, run.ExitCode);
        Assert.Contains("frozen legacy lane", Assert.Single(run.ErrLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_MistypedOption_SuggestsTheRightOne()
    {
        var run = Plan("runtime", "--evn", "production", "--tag", "abc1234");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("did you mean '--env'?", Assert.Single(run.ErrLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_UnknownAction_ListsTheActions()
    {
        var run = Plan("runtime", "--env", "production", "--action", "promote");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("set-traffic", Assert.Single(run.ErrLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_BadTag_IsRejectedBeforeAnythingElse()
    {
        var run = Plan("runtime", "--env", "production", "--tag", "-bad");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("not a valid image tag", Assert.Single(run.ErrLines), StringComparison.Ordinal);
    }
}
