using System.CommandLine;
using System.Globalization;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix drill canary LANE --env ENV</c>: rehearse canary traffic shifts and a rollback, with a report.</summary>
internal static class DrillCommand
{
    public static Command Create(CliContext context)
    {
        var target = new TargetArguments("The lane to drill.", "One region of an environment that runs in several (required there: a drill reports on one service).");
        var steps = new Option<string>("--steps") { Description = "Canary percents to shift through, in order (default 5,25,50,100).", HelpName = "N,N,…", DefaultValueFactory = _ => "5,25,50,100" };
        var output = new Option<string?>("--out") { Description = "Where the report goes (default .deploymatrix/drills/TIMESTAMP/); a folder that is a symbolic link is refused.", HelpName = "DIR" };
        var dwell = new Option<string>("--dwell") { Description = "How long each traffic step holds before the next (default 5s).", HelpName = "DURATION", DefaultValueFactory = _ => "5s" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Run nothing and change nothing (the platform is not even asked): write the same report, every step with the command it would run and its log holding that command and the platform's (gcloud's on Cloud Run), with \"dry_run\": true in summary.json." };
        var canary = new Command("canary", "Shift traffic from the stable revision to the latest ready one step by step, roll back, and report: step-results.jsonl, summary.json, SUMMARY.md, one log per step and timeline.svg (traffic as steps, error rate and p95 latency per revision, each step marked with its weight and verdict). A failed step is recorded and the drill goes on; exit 1 if any step failed. --dry-run writes the same report without running a step.");
        target.AddTo(canary);
        canary.Options.Add(steps);
        canary.Options.Add(output);
        canary.Options.Add(dwell);
        canary.Options.Add(dryRun);
        canary.Options.Add(context.Options.Yes);
        canary.SetAction(async (result, ct) =>
        {
            var (lane, env) = target.Read(result);
            var percents = ParseSteps(result.GetValue(steps)!);
            var hold = ParseDwell(result.GetValue(dwell)!);
            using var ws = WorkspaceFactory.Open(result, context);
            var drill = new DrillOperation(ws) { Region = target.Region(result) };
            var dir = result.GetValue(output) is { } given ? Path.GetFullPath(given, context.WorkingDirectory) : null;
            var shown = Documents.Shown(result, context);
            if (result.GetValue(dryRun))
            {
                // Still a real check of the lane and environment: a dry run of a typo must not look fine.
                var preview = drill.DryRun(lane, env, percents, dir);
                foreach (var step in preview.Result.Steps)
                {
                    shown.Out.WriteLine($"  {step.StepId,-14} {step.Command}");
                }

                shown.Out.WriteLine($"DRY RUN: nothing was run or changed; report in {MatrixSource.Display(preview.Directory, context)}");
                return Report(preview, lane, env, result, context);
            }

            // A drill moves real traffic, to the canary and back.
            Confirmation.Ask(result, context, ws.Matrix, env, $"drill canary {lane}");
            var run = await drill.RunAsync(lane, env, percents, hold, dir, shown.Out.WriteLine, ct);
            foreach (var step in run.Result.Steps)
            {
                shown.Out.WriteLine($"  {step.StepId,-14} {step.Status}  {step.Reason}");
            }

            shown.Out.WriteLine($"{(run.Result.Passed ? "PASS" : "FAIL")}: report in {MatrixSource.Display(run.Directory, context)}");
            return Report(run, lane, env, result, context);
        });
        var command = new Command("drill", "Rehearse a release procedure and keep the evidence.");
        command.Subcommands.Add(canary);
        return command;
    }

    /// <summary>Under --output json, <c>deploymatrix.drill.v1</c>: the steps as step-results.jsonl has them, and where the report is. Returns the exit code.</summary>
    private static int Report(DrillRun run, string lane, string env, ParseResult result, CliContext context)
    {
        if (context.Options.Json(result))
        {
            Json.Write(context.Out, "drill", new
            {
                Lane = lane, Environment = env, run.Result.DryRun, run.Result.Passed, Report = MatrixSource.Display(run.Directory, context),
                StableRevision = run.Result.Stable, CanaryRevision = run.Result.Canary, run.Result.Steps,
            });
        }

        return run.Result.Passed || run.Result.DryRun ? 0 : 1;
    }

    private static List<int> ParseSteps(string text)
    {
        var steps = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var percent) || percent is < 1 or > 100)
            {
                throw new UsageException($"--steps part '{part}' is not a percent 1..100; write them like --steps 5,25,50,100");
            }

            steps.Add(percent);
        }

        return steps.Count > 0 ? steps : throw new UsageException("--steps names no step; write them like --steps 5,25,50,100");
    }

    private static TimeSpan ParseDwell(string text) =>
        Durations.Parse(text) is { } value ? value : throw new UsageException($"--dwell '{text}' is not a duration; write it like 500ms or 5s");
}
