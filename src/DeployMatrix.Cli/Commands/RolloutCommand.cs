using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Drift;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Rollout;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix rollout LANE --env ENV [--tag TAG]</c>: walk the canary through the lane's stages with analysis.</summary>
internal static class RolloutCommand
{
    public static Command Create(CliContext context)
    {
        var lane = new Argument<string>("LANE") { Description = "The lane to roll out." };
        var env = ExecutionOptions.Env();
        var tag = ExecutionOptions.Tag();
        tag.Description = "Deploy this tag first as a no-traffic canary (default: roll out the latest ready revision).";
        var overrideGate = new Option<bool>("--override-gate") { Description = "Roll out to the gate's target environment a canary whose tag has no passing gate; needs --reason, and is audited." };
        var reason = new Option<string?>("--reason") { Description = "Why the gate is overridden (recorded).", HelpName = "TEXT" };
        var window = new Option<string?>("--window") { Description = "The analysis window per stage, e.g. 30s (default: the lane's rollout window, 10m unless set).", HelpName = "DURATION" };
        var command = new Command("rollout", "Move traffic from the stable revision to the canary stage by stage (default 0, 5, 25, 50, 100). Each stage waits its window, then compares canary with stable (5xx rate, p95 regression, Fisher exact test on errors, Mann-Whitney on latency); a failed stage sends all traffic back to stable at once. Too little traffic extends the window, then fails — never passes. A mandatory migration must have run with the canary's image first.");
        command.Arguments.Add(lane);
        command.Options.Add(env);
        command.Options.Add(tag);
        command.Options.Add(window);
        command.Options.Add(overrideGate);
        command.Options.Add(reason);
        command.SetAction((result, ct) => RunAsync(result, context, result.GetValue(lane)!, result.GetValue(env)!, Execute.ValidTag(result.GetValue(tag)), result.GetValue(window),
            DeployCommand.GateOverride(result.GetValue(overrideGate), result.GetValue(reason)), ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CliContext context, string laneName, string env, string? tag, string? windowText, string? gateOverride, CancellationToken ct)
    {
        TimeSpan? window = null;
        if (windowText is not null)
        {
            window = Durations.Parse(windowText) is { } parsed && parsed > TimeSpan.Zero
                ? parsed
                : throw new UsageException($"--window '{windowText}' is not a duration; write it like 30s, 10m or 1h");
        }

        if (tag is not null)
        {
            var deployed = await Execute.PlanAndRunAsync(result, context, _ => new PlanRequest
            {
                Lane = laneName, Environment = env, Tag = tag, Action = PlanAction.Deploy, NoTraffic = true,
            }, ct, gateOverride);
            if (deployed != ExitCodes.Ok)
            {
                return deployed;
            }
        }

        return await Execute.WithTargetAsync(result, context, laneName, env, "rollout", async scope =>
        {
            var (matrix, lane, target, session, platform) = (scope.Matrix, scope.Lane, scope.Target, scope.Session, scope.Platform);
            var service = await platform.GetServiceAsync(target, ct);
            var canary = service.LatestReadyRevision ?? throw new CommandFailure($"{target.Service} has no ready revision in {env}; deploy one first", ExitCodes.Failed);
            // The canary's tag must have passed the gate into this environment, as a deploy's must.
            var canaryTag = service.Revisions.FirstOrDefault(r => r.Name == canary)?.Tag ?? "";
            if (PromotionRule.Check(matrix, env, canaryTag, session.State, gateOverride, LocalSession.Actor, laneName) is { } refusal)
            {
                throw new CommandFailure(refusal, ExitCodes.Failed);
            }

            var stable = service.Traffic.OrderByDescending(t => t.Percent).FirstOrDefault()?.Revision ?? service.StableRevision
                ?? throw new CommandFailure($"{target.Service} has no revision serving traffic to compare against; give one all traffic first (deploymatrix traffic {laneName} --env {env} --to REV=100)", ExitCodes.Failed);
            if (canary == stable)
            {
                context.Out.WriteLine($"{canary} already serves {env}; nothing to roll out");
                return ExitCodes.Ok;
            }

            if (lane.Migration is { Mandatory: true } migration)
            {
                var report = await DriftCheck.RunAsync(platform, target, migration.JobFor(lane.FindTarget(env)!)!, service.Image!, ct);
                if (!report.Ok)
                {
                    throw new CommandFailure($"the mandatory migration has not succeeded with the canary's image ({report.Problem}); run: deploymatrix migrate {laneName} --env {env}", ExitCodes.Failed);
                }
            }

            context.Out.WriteLine($"rollout of {laneName} in {env}: {stable} → {canary}");
            var runner = new RolloutRunner(platform, session.State, context.Time, new Reporter(context.Out), LocalSession.Actor);
            var outcome = await runner.RunAsync(new RolloutRequest(target, stable, canary, lane.Rollout ?? matrix.Defaults.Rollout) { Window = window }, ct);
            if (outcome.Succeeded)
            {
                context.Out.WriteLine($"rollout complete: {canary} takes 100%; {stable} drains");
            }
            else
            {
                context.Err.WriteLine($"deploymatrix: rollout failed — {outcome.Reason}");
            }

            return outcome.ExitCode;
        }, ct);
    }

    private sealed class Reporter(TextWriter output) : IRolloutReporter
    {
        public void Stage(int percent, string message) => output.WriteLine($"  [{percent,3}%] {message}");
    }
}
