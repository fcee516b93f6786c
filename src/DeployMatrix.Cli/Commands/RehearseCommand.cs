using System.CommandLine;
using System.Globalization;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Rehearsal;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix rehearse LANE --tag TAG [--against ENV] [--out DIR]</c>: rehearse a release's migration, rollout and rollback in a scratch workspace.</summary>
internal static class RehearseCommand
{
    public static Command Create(CliContext context)
    {
        var lane = new Argument<string>("LANE") { Description = "The lane whose release is rehearsed (a service with a migration job)." };
        var tag = new Option<string>("--tag", "-t") { Description = "The candidate's tag, built here (deploymatrix build LANE --tag TAG).", HelpName = "TAG", Required = true };
        var against = new Option<string?>("--against") { Description = "The environment whose release and data the candidate is rehearsed against (default: the gate's 'to', production in the seed). It is only read.", HelpName = "ENV" };
        var output = new Option<string?>("--out") { Description = "Where the report goes (default .deploymatrix/rehearsals/TIMESTAMP/); a folder that is a symbolic link is refused.", HelpName = "DIR" };
        var load = new Option<int>("--load") { Description = "Generated requests per second through the scratch service during the rollout (1..2000, default 50).", HelpName = "N", DefaultValueFactory = _ => 50 };
        var dwell = new Option<string>("--dwell") { Description = "How long each stage of the lane's rollout holds (default 3s).", HelpName = "DURATION", DefaultValueFactory = _ => "3s" };
        var command = new Command("rehearse",
            "Rehearse a release before it goes out, on the local platform in a scratch workspace that never touches the environment's state: " +
            "start the release ENV runs today on a copy of its data (and the scratch data the lane's rehearsal.data.command loads, if it names one), run the candidate's migration, check that the stable release still passes its smoke checks on the migrated schema (N-1), " +
            "roll the candidate out through the lane's stages under generated load, roll back and smoke-check the stable release again. " +
            "Writes rehearsal.json, SUMMARY.md, timeline.svg, receipt.json (rollback_safe: true|false and why) and one log per phase, and records one audit entry that the gate's 'rehearsal' check and production rollouts read. " +
            "The target's variables that lead to data outside the scratch (DATABASE_URL, *_DATABASE_URL, *_DSN (not one holding an http(s) URL, as Sentry's), REDIS_URL, MONGO*_URL/URI, AMQP and RabbitMQ URLs, PGHOST, PGDATABASE…, or a database or queue URL to another host) must be replaced by the data command's: " +
            "without a data command the rehearsal is refused before anything starts (exit 2), and a data command that leaves one stops it before the stable release starts. " +
            "Exit 0 when every phase passed, 1 otherwise.");
        command.Arguments.Add(lane);
        command.Options.Add(tag);
        command.Options.Add(against);
        command.Options.Add(output);
        command.Options.Add(load);
        command.Options.Add(dwell);
        command.SetAction(async (result, ct) =>
        {
            var candidate = ExecutionOptions.ValidTag(result.GetValue(tag))!;
            var perSecond = result.GetValue(load) is var n and >= 1 and <= 2000 ? n : throw new UsageException($"--load {result.GetValue(load)} is outside 1..2000; write it like --load 50");
            var hold = Durations.Parse(result.GetValue(dwell)!) switch
            {
                { } value when value > TimeSpan.Zero => value,
                { } => throw new UsageException($"--dwell {result.GetValue(dwell)}: each stage must be held a while; give more than 0, like 500ms or 3s"),
                null => throw new UsageException($"--dwell '{result.GetValue(dwell)}' is not a duration; write it like 500ms or 3s"),
            };
            using var ws = WorkspaceFactory.Open(result, context);
            var dir = result.GetValue(output) is { } given ? Path.GetFullPath(given, context.WorkingDirectory) : null;
            // Under --output json the lines go to stderr and stdout holds the report's rehearsal.json, as written.
            var progress = Json.Progress(result, context);
            var run = await new RehearseOperation(ws) { Settings = new RehearsalSettings { LoadPerSecond = perSecond, Dwell = hold } }
                .RunAsync(result.GetValue(lane)!, candidate, result.GetValue(against), dir, progress.WriteLine, ct);
            foreach (var phase in run.Result.Phases)
            {
                progress.WriteLine($"  {phase.Id,-9} {phase.Verdict}  {phase.Reason}");
            }

            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rollback_safe: {(run.Result.RollbackSafe ? "true" : "false")} ({run.Result.Why})"));
            progress.WriteLine($"{(run.Result.Passed ? "PASS" : "FAIL")}: report in {MatrixSource.Display(run.Directory, context)}");
            if (context.Options.Json(result))
            {
                context.Out.Write(File.ReadAllText(Path.Combine(run.Directory, "rehearsal.json")));
            }

            return run.Result.Passed ? 0 : 1;
        });
        return command;
    }
}
