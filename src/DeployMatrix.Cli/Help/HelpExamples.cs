using System.CommandLine;

namespace DeployMatrix.Cli.Help;

/// <summary>
/// The "Examples:" section of every command's help, after its usage: real invocations against the example matrix
/// (examples/openagents), as a man page's EXAMPLES. Kept in one table, by command path, so a command's file stays
/// about what it does; a test parses every line and checks every command has one.
/// </summary>
internal static class HelpExamples
{
    /// <summary>One example: the command line and what it does.</summary>
    internal sealed record Example(string Line, string What);

    /// <summary>Examples by command path ("" is the root, "rollout status" a subcommand).</summary>
    internal static readonly IReadOnlyDictionary<string, Example[]> ByCommand = new Dictionary<string, Example[]>(StringComparer.Ordinal)
    {
        [""] =
        [
            new("deploymatrix validate", "check the nearest deploymatrix.yaml"),
            new("deploymatrix plan runtime --env staging", "the steps a deploy of runtime to staging would run"),
            new("deploymatrix deploy runtime --env staging", "deploy it"),
        ],
        ["validate"] =
        [
            new("deploymatrix validate", "check the nearest deploymatrix.yaml"),
            new("deploymatrix validate examples/openagents/deploymatrix.yaml --output json", "check a named file; diagnostics as JSON"),
        ],
        ["render"] =
        [
            new("deploymatrix render --out DEPLOY_MATRIX.md", "write the deploy map"),
            new("deploymatrix render --check DEPLOY_MATRIX.md", "exit 1 with a diff when the committed map is stale (CI)"),
        ],
        ["plan"] =
        [
            new("deploymatrix plan runtime --env staging", "the steps of a deploy of runtime to staging"),
            new("deploymatrix plan runtime --env production --action rollout --tag abc1234", "a rollout's stages, the canary's deploy first"),
            new("deploymatrix plan openagents-control-service --env staging --format shell", "the exact gcloud commands"),
        ],
        ["guard"] =
        [
            new("deploymatrix guard", "scan the repository for forbidden legacy commands"),
            new("deploymatrix guard apps/runtime", "scan one folder"),
        ],
        ["agent"] = [new("deploymatrix agent start", "start the local platform's agent"), new("deploymatrix agent status", "is it running, what does it serve")],
        ["agent start"] = [new("deploymatrix agent start", "start the agent in the background")],
        ["agent stop"] = [new("deploymatrix agent stop", "stop the agent and its revisions politely")],
        ["agent status"] = [new("deploymatrix agent status", "exit 1 when the agent is not running")],
        ["build"] =
        [
            new("deploymatrix build runtime", "build locally, tagged with the short SHA of HEAD"),
            new("deploymatrix build runtime --platform cloudrun --tag abc1234", "a Cloud Build of the lane's cloudbuild config"),
        ],
        ["deploy"] =
        [
            new("deploymatrix deploy runtime --env staging", "deploy HEAD's tag to staging"),
            new("deploymatrix deploy openagents-control-service --env production --tag abc1234 --no-traffic", "a checked revision that takes no traffic yet"),
            new("deploymatrix deploy runtime --env staging --platform local", "rehearse a Cloud Run lane on this machine"),
        ],
        ["traffic"] =
        [
            new("deploymatrix traffic runtime --env production --to runtime-00041-abc=90,runtime-00042-def=10", "10% to the new revision"),
            new("deploymatrix traffic runtime --env production --to LATEST=100", "all traffic to the latest ready revision"),
        ],
        ["rollback"] =
        [
            new("deploymatrix rollback runtime --env production", "all traffic back to the stable revision"),
            new("deploymatrix rollback runtime --env production --to runtime-00041-abc", "all traffic to a named revision"),
        ],
        ["migrate"] =
        [
            new("deploymatrix migrate runtime --env staging", "run the migration job again with the service's current image"),
            new("deploymatrix migrate runtime --env staging --tag abc1234", "migrate with a tag's image"),
        ],
        ["status"] =
        [
            new("deploymatrix status", "every deployed lane"),
            new("deploymatrix status runtime --env production --output json", "one service, as JSON"),
        ],
        ["dashboard"] = [new("deploymatrix dashboard --open", "serve the dashboard on 127.0.0.1:7100 and open it")],
        ["run"] = [new("deploymatrix run lightning-ops -- --help", "run the binary lane's command with its arguments")],
        ["gate"] =
        [
            new("deploymatrix gate --tag abc1234", "may abc1234 go from staging to production?"),
            new("deploymatrix gate --from staging --to production --output json", "the verdict as JSON"),
        ],
        ["rollout"] =
        [
            new("deploymatrix rollout openagents-control-service --env production --tag abc1234", "deploy abc1234 as the canary and roll it out stage by stage"),
            new("deploymatrix rollout openagents-control-service --env production --window 5m", "roll out the latest ready revision, 5 minutes a stage"),
        ],
        ["rollout status"] = [new("deploymatrix rollout status openagents-control-service --env production", "where the latest rollout is and what to do next")],
        ["rollout pause"] = [new("deploymatrix rollout pause openagents-control-service --env production --reason \"investigating latency\"", "hold the split")],
        ["rollout resume"] = [new("deploymatrix rollout resume openagents-control-service --env production", "continue from the stage it reached")],
        ["rollout abort"] = [new("deploymatrix rollout abort openagents-control-service --env production --reason \"errors in logs\"", "all traffic back to stable")],
        ["rollout promote"] = [new("deploymatrix rollout promote openagents-control-service --env production --reason \"verified by hand\"", "all traffic to the canary now")],
        ["drill"] = [new("deploymatrix drill canary runtime --env staging --dry-run", "the drill's report without running a step")],
        ["drill canary"] =
        [
            new("deploymatrix drill canary runtime --env staging", "shift traffic 5, 25, 50, 100%, then roll back, keeping the evidence"),
            new("deploymatrix drill canary runtime --env staging --steps 10,50 --dwell 30s --dry-run", "what it would run"),
        ],
        ["maintenance"] = [new("deploymatrix maintenance status runtime --env production", "is the service in maintenance?")],
        ["maintenance enable"] = [new("deploymatrix maintenance enable runtime --env production --message \"Back at 10:00 UTC\" --retry-after 600", "503 for everyone but bypass-cookie holders")],
        ["maintenance disable"] = [new("deploymatrix maintenance disable runtime --env production", "serve again, with the split from before")],
        ["maintenance status"] = [new("deploymatrix maintenance status runtime --env production", "since when, and the message")],
        ["history"] =
        [
            new("deploymatrix history", "the audit log"),
            new("deploymatrix history runtime --limit 20 --steps", "runtime's last 20 records with their steps"),
        ],
        ["audit"] = [new("deploymatrix audit verify", "check the audit log's hash chain and receipts")],
        ["audit verify"] = [new("deploymatrix audit verify --anchor 3f2a…", "and that the chain still reaches a head hash kept elsewhere")],
        ["audit anchor"] = [new("deploymatrix audit anchor --out audit-head.txt", "keep the head hash for a later verify")],
        ["state"] = [new("deploymatrix state copy", "copy this machine's state into DEPLOYMATRIX_STATE_URL's database")],
        ["state copy"] = [new("deploymatrix state copy", "into the database DEPLOYMATRIX_STATE_URL names")],
        ["notify"] = [new("deploymatrix notify deliveries --limit 20", "the last 20 deliveries to the notify: channels")],
        ["notify deliveries"] =
        [
            new("deploymatrix notify deliveries", "how the newest deliveries ended"),
            new("deploymatrix notify deliveries --channel ops-slack --output json", "one channel's, as JSON"),
        ],
        ["notify test"] =
        [
            new("deploymatrix notify test", "send a test event to every channel"),
            new("deploymatrix notify test ops-slack", "only to ops-slack"),
        ],
        ["rehearse"] =
        [
            new("deploymatrix --platform local rehearse runtime --tag abc1234", "rehearse abc1234's migration, rollout and rollback against production's release"),
            new("deploymatrix --platform local rehearse runtime --tag abc1234 --against staging --out rehearsal", "against staging, the report in ./rehearsal"),
        ],
        ["completion"] =
        [
            new("source <(deploymatrix completion bash)", "complete deploymatrix in this bash (add it to ~/.bashrc)"),
            new("deploymatrix completion fish | source", "the same in fish"),
        ],
    };

    /// <summary>
    /// <paramref name="help"/> (the parser's help text for <paramref name="command"/>) with the command's examples
    /// after its usage section. System.CommandLine 2.0 keeps its help layout internal, so the section goes into the text.
    /// </summary>
    public static string Insert(string help, Command command)
    {
        if (!ByCommand.TryGetValue(PathOf(command), out var examples))
        {
            return help;
        }

        var usage = help.IndexOf("Usage:\n", StringComparison.Ordinal);
        var end = usage < 0 ? -1 : help.IndexOf("\n\n", usage, StringComparison.Ordinal);
        if (end < 0)
        {
            return help;
        }

        var section = new System.Text.StringBuilder("\n\nExamples:");
        foreach (var example in examples)
        {
            section.Append("\n  ").Append(example.Line).Append("\n      ").Append(example.What);
        }

        return help.Insert(end, section.ToString());
    }

    /// <summary>The command's path under the root, as the table keys it.</summary>
    public static string PathOf(Command command) => string.Join(' ', Ancestry(command).Reverse().Skip(1).Select(c => c.Name));

    private static IEnumerable<Command> Ancestry(Command command)
    {
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            yield return c;
        }
    }
}
