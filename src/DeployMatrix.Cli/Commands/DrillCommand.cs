using System.CommandLine;
using System.Globalization;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Audit;
using DeployMatrix.Engine.Drill;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix drill canary LANE --env ENV</c>: rehearse canary traffic shifts and a rollback, with a report.</summary>
internal static class DrillCommand
{
    public static Command Create(CliContext context)
    {
        var lane = new Argument<string>("LANE") { Description = "The lane to drill." };
        var env = ExecutionOptions.Env();
        var steps = new Option<string>("--steps") { Description = "Canary percents to shift through, in order (default 5,25,50,100).", HelpName = "N,N,…", DefaultValueFactory = _ => "5,25,50,100" };
        var output = new Option<string?>("--out") { Description = "Where the report goes (default .deploymatrix/drills/TIMESTAMP/).", HelpName = "DIR" };
        var dwell = new Option<string>("--dwell") { Description = "How long each traffic step holds before the next (default 5s).", HelpName = "DURATION", DefaultValueFactory = _ => "5s" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the steps and their commands; change nothing." };
        var canary = new Command("canary", "Shift traffic from the stable revision to the latest ready one step by step, roll back, and report: step-results.jsonl, summary.json, SUMMARY.md, one log per step and timeline.svg (traffic and error rate per revision). A failed step is recorded and the drill goes on; exit 1 if any step failed.");
        canary.Arguments.Add(lane);
        canary.Options.Add(env);
        canary.Options.Add(steps);
        canary.Options.Add(output);
        canary.Options.Add(dwell);
        canary.Options.Add(dryRun);
        canary.SetAction((result, ct) => RunAsync(result, context, result.GetValue(lane)!, result.GetValue(env)!, ParseSteps(result.GetValue(steps)!),
            result.GetValue(output), ParseDwell(result.GetValue(dwell)!), result.GetValue(dryRun), ct));
        var command = new Command("drill", "Rehearse a release procedure and keep the evidence.");
        command.Subcommands.Add(canary);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CliContext context, string laneName, string env, IReadOnlyList<int> percents, string? outDir, TimeSpan dwell, bool dryRun, CancellationToken ct)
    {
        if (dryRun)
        {
            // Still a real check of the lane and environment: a dry run of a typo must not look fine.
            var matrix = MatrixSource.LoadValid(result, context);
            if (matrix is null)
            {
                return ExitCodes.BadInput;
            }

            var planned = Planner.Plan(matrix, new PlanRequest { Lane = laneName, Environment = env, Action = PlanAction.Status });
            if (planned.Plan is null)
            {
                context.Err.WriteLine($"deploymatrix: {planned.Error}");
                return planned.ExitCode;
            }

            foreach (var (id, description, _) in DrillRunner.StepsFor(percents))
            {
                context.Out.WriteLine($"{id,-14} {description}");
            }

            return ExitCodes.Ok;
        }

        return await Execute.WithTargetAsync(result, context, laneName, env, "drill", async scope =>
        {
            var (target, session, platform) = (scope.Target, scope.Session, scope.Platform);
            Execute.RefuseInMaintenance(session, target, "a drill");
            var service = await platform.GetServiceAsync(target, ct);
            var stable = service.Traffic.OrderByDescending(t => t.Percent).FirstOrDefault()?.Revision
                ?? throw new CommandFailure($"{target.Service} has no revision serving traffic in {env}; a drill needs a stable revision", ExitCodes.Failed);
            var canary = service.LatestReadyRevision is { } latest && latest != stable
                ? latest
                : throw new CommandFailure($"{target.Service} has no ready canary besides {stable}; deploy one with: deploymatrix deploy {laneName} --env {env} --no-traffic", ExitCodes.Failed);
            var dir = Path.GetFullPath(outDir ?? Path.Combine(session.Paths.Root, "drills", context.Time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)), context.WorkingDirectory);
            context.Out.WriteLine($"drill canary {laneName} ({env}): stable {stable}, canary {canary}");
            var drill = await new DrillRunner(platform, context.Time).RunAsync(target, stable, canary, percents, dwell, dir, ct);
            foreach (var step in drill.Steps)
            {
                context.Out.WriteLine($"  {step.StepId,-14} {step.Status}  {step.Reason}");
            }

            DrillReport.Write(dir, target, drill, context.Time.GetUtcNow());
            new AuditLog(session.State).Append(LocalSession.Actor, "drill", laneName, env,
                new Dictionary<string, string?> { ["stable"] = stable, ["canary"] = canary, ["steps"] = string.Join(',', percents) },
                drill.Passed ? "pass" : "fail", Path.Combine(dir, "summary.json"));
            context.Out.WriteLine($"{(drill.Passed ? "PASS" : "FAIL")}: report in {MatrixSource.Display(dir, context)}");
            return drill.Passed ? ExitCodes.Ok : ExitCodes.Failed;
        }, ct);
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
