using System.CommandLine;
using System.Text.Json;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>
/// <c>--output json</c> on every command, run for real on the example: each prints one document that its schema in
/// <c>schema/output/</c> accepts (and rejects with any top-level field renamed), or refuses json with exit 2 and one line.
/// </summary>
public sealed class MachineOutputTests : ExampleTest
{
    private const string Lane = "openagents-control-service";

    /// <summary>The commands with no document to print: servers, the Markdown map, a lane's own command.</summary>
    private static readonly string[][] Refused = [["render"], ["run", "runtime"], ["dashboard"], ["agent", "run"], ["completion", "bash"]];

    private readonly HashSet<string> _covered = new(StringComparer.Ordinal);

    [Fact]
    public void EveryCommand_PrintsADocumentItsSchemaAccepts_OrRefusesJson()
    {
        // Holds at the first stage without traffic, so the rollout commands have a rollout to act on.
        var hold = Example.Variant("hold.yaml", "    window: 10m", "    window: 10m\n    max-extensions: 0\n    on-inconclusive: hold");
        Doc("validate", 0, "validate");
        Doc("plan", 0, "plan", Lane, "--env", "staging", "--tag", "t1");
        Doc("guard", null, "guard");
        Doc("gate", 0, "gate", "--tag", "t1");
        Doc("build", 0, "build", Lane, "--tag", "t1");
        var deploy = Doc("result", 0, "deploy", Lane, "--env", "staging", "--tag", "t1", "--no-traffic");
        Assert.Equal("deploy", deploy.GetProperty("command").GetString());
        Assert.All(deploy.GetProperty("waves")[0].GetProperty("steps").EnumerateArray(), s => Assert.Equal("ok", s.GetProperty("outcome").GetString()));
        var service = Doc("status", 0, "status", Lane, "--env", "staging").GetProperty("services")[0];
        var (stable, canary) = (service.GetProperty("traffic")[0].GetProperty("revision").GetString(), service.GetProperty("latest_ready_revision").GetString());
        Doc("result", 0, "traffic", Lane, "--env", "staging", "--to", $"{stable}=90,{canary}=10");
        Doc("result", 0, "rollback", Lane, "--env", "staging");
        Doc("result", 0, "migrate", "runtime", "--env", "staging");

        var rollout = Doc("rollout", 1, "--file", hold, "rollout", Lane, "--env", "staging", "--window", "1s");
        Assert.Equal("paused", rollout.GetProperty("waves")[0].GetProperty("rollout").GetProperty("end").GetString());
        Doc("rollout-status", 0, "--file", hold, "rollout", "status", Lane, "--env", "staging");
        Doc("rollout", 1, "--file", hold, "rollout", "resume", Lane, "--env", "staging");
        Doc("rollout-control", 0, "--file", hold, "rollout", "pause", Lane, "--env", "staging");
        Doc("rollout-control", 0, "--file", hold, "rollout", "abort", Lane, "--env", "staging");
        var again = Doc("rollout", 1, "--file", hold, "rollout", Lane, "--env", "staging", "--window", "1s");
        Assert.True(again.GetProperty("waves")[0].GetProperty("rollout").GetProperty("end").GetString() == "paused", again.ToString());
        Doc("rollout-control", 0, "--file", hold, "rollout", "promote", Lane, "--env", "staging", "--reason", "machine output test");

        Doc("drill", 0, "drill", "canary", Lane, "--env", "staging", "--dry-run");
        Doc("maintenance", 0, "maintenance", "enable", Lane, "--env", "staging");
        Doc("maintenance", 0, "maintenance", "status", Lane, "--env", "staging");
        Doc("maintenance", 0, "maintenance", "disable", Lane, "--env", "staging");
        Assert.NotEmpty(Doc("history", 0, "history").GetProperty("records").EnumerateArray());
        Assert.Contains(Doc("history", 0, "history", "--steps").GetProperty("records").EnumerateArray(), r => r.TryGetProperty("steps", out var steps) && steps.GetArrayLength() > 0);
        Assert.True(Doc("audit-verify", 0, "audit", "verify").GetProperty("intact").GetBoolean());
        Doc("audit-anchor", 0, "audit", "anchor");
        Doc("notify", 0, "notify", "deliveries");
        // A channel whose URL variable is not set: the test delivery is skipped, so the command fails (exit 1).
        var notify = Example.Variant("notify.yaml", "\ngate:", "\nnotify:\n  - { name: ops, kind: slack, url-env: DEPLOYMATRIX_TEST_UNSET_URL }\ngate:");
        var tested = Doc("notify", 1, "--file", notify, "notify", "test");
        Assert.Equal(("skipped", false), (tested.GetProperty("deliveries")[0].GetProperty("status").GetString(), tested.GetProperty("ok").GetBoolean()));
        var text = Example.Cli("--file", notify, "notify", "test");
        Assert.True(text.ExitCode == 1 && text.OutLines[^1] == "failed: 1 of 1 channel did not take the test event: ops", text.ToString());
        Assert.Equal("test", Doc("notify", 0, "--file", notify, "notify", "deliveries", "--channel", "ops").GetProperty("deliveries")[0].GetProperty("event").GetString());
        Doc("agent", 0, "agent", "status");
        Assert.False(Doc("agent", 0, "agent", "start").GetProperty("started").GetBoolean());
        foreach (var args in Refused)
        {
            var run = Example.Cli([.. args, "--output", "json"]);
            Assert.True(run.ExitCode == 2 && run.Out.Length == 0 && run.ErrLines.Length == 1, run.ToString());
            Assert.EndsWith("; drop --output json", run.ErrLines[0], StringComparison.Ordinal);
            _covered.Add(string.Join(' ', args.Where(a => a is not ("runtime" or "bash"))));
        }

        Doc("agent", 0, "agent", "stop");
        // state copy's document is held to its schema where a team database exists (StateCopyTests).
        _covered.Add("state copy");
        // rehearse's document (its report's rehearsal.json) is held to its schema where a rehearsal runs (RehearsalTests).
        _covered.Add("rehearse");
        Assert.Equal([], Commands().Except(_covered).Order());
    }

    /// <summary>Runs a command with --output json and holds its stdout to the kind's schema; null <paramref name="exit"/>: 0 or 1.</summary>
    private JsonElement Doc(string kind, int? exit, params string[] args)
    {
        var run = Example.Cli([.. args, "--output", "json"]);
        Assert.True(exit is null ? run.ExitCode is 0 or 1 : run.ExitCode == exit, $"expected exit {exit?.ToString() ?? "0 or 1"}: {string.Join(' ', args)}\n{run}");
        _covered.Add(string.Join(' ', args.SkipWhile(a => a == "--file" || a.EndsWith(".yaml", StringComparison.Ordinal)).TakeWhile(a => !a.StartsWith('-') && a != Lane && a != "runtime")));
        return OutputSchemas.AssertValid(kind, run);
    }

    /// <summary>Every command of the tree that runs (has an action), by its path: "deploy", "rollout status", "agent run"…</summary>
    private static IEnumerable<string> Commands()
    {
        var context = new Cli.CliContext(TextWriter.Null, TextWriter.Null, RepoPaths.Root, TimeProvider.System);
        return Walk(Cli.CliApp.Build(context), "");

        static IEnumerable<string> Walk(Command command, string path)
        {
            if (command.Action is not null && path.Length > 0)
            {
                yield return path;
            }

            foreach (var sub in command.Subcommands.SelectMany(c => Walk(c, path.Length == 0 ? c.Name : $"{path} {c.Name}")))
            {
                yield return sub;
            }
        }
    }
}
