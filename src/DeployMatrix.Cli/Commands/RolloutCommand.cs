using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Drift;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Rollout;

namespace DeployMatrix.Cli.Commands;

/// <summary>
/// <c>deploymatrix rollout LANE --env ENV [--tag TAG]</c>: walk the canary through the lane's stages
/// with analysis; its subcommands (<see cref="RolloutControlCommands"/>) let people look and step in.
/// </summary>
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
        var command = new Command("rollout", "Move traffic from the stable revision to the canary stage by stage (default 0, 5, 25, 50, 100). Each stage waits its window, then compares canary with stable (5xx rate, p95 regression, Fisher exact test on errors, Mann-Whitney on latency); a failed stage sends all traffic back to stable at once. Too little traffic extends the window, then rolls back or holds by the lane's on-inconclusive policy — never passes. A mandatory migration must have run with the canary's image first. The rollout is journaled: if this process dies, 'rollout status' shows where it stood and 'rollout resume' continues it.");
        command.Arguments.Add(lane);
        command.Options.Add(env);
        command.Options.Add(tag);
        command.Options.Add(window);
        command.Options.Add(overrideGate);
        command.Options.Add(reason);
        foreach (var sub in RolloutControlCommands.Create(context))
        {
            command.Subcommands.Add(sub);
        }

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
            Execute.RefuseInMaintenance(session, target, "a rollout");
            if (session.State.LatestRollout(laneName, env) is { } open && !State.RolloutStatus.IsFinished(open.Status))
            {
                throw new CommandFailure($"rollout #{open.Id} of {laneName} in {env} is {open.Shown} at {open.Stage}%; finish it first: deploymatrix rollout resume|promote|abort {laneName} --env {env}", ExitCodes.Failed);
            }

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
            var request = new RolloutRequest(target, stable, canary, lane.Rollout ?? matrix.Defaults.Rollout) { Window = window, Tag = canaryTag };
            return await DriveAsync(context, scope, (runner, c) => runner.StartAsync(request, c), ct);
        }, ct);
    }

    /// <summary>Runs a rollout in this process with the right reporter, then says how it ended and what to do next.</summary>
    public static async Task<int> DriveAsync(CliContext context, TargetScope scope, Func<RolloutRunner, CancellationToken, Task<RolloutOutcome>> run, CancellationToken ct)
    {
        var receipts = new ReceiptWriter(scope.Session.Paths.Receipts, context.Time);
        RolloutRunner Runner(IRolloutReporter reporter) => new(scope.Platform, scope.Session.State, context.Time, reporter, LocalSession.Actor, receipts);
        RolloutOutcome outcome;
        try
        {
            outcome = context.Live
                ? await new LiveRolloutReporter().RunAsync(reporter => run(Runner(reporter), ct))
                : await run(Runner(new PlainRolloutReporter(context.Out)), ct);
        }
        catch (Engine.Platform.PlatformException e)
        {
            throw new CommandFailure($"rollout held: {e.Message}; once the platform answers, continue with: deploymatrix rollout resume {scope.Lane.Name} --env {scope.Target.Environment}", ExitCodes.Failed);
        }

        var lane = scope.Lane.Name;
        var env = scope.Target.Environment;
        var receipt = outcome.Receipt is null ? "" : $" (receipt {MatrixSource.Display(outcome.Receipt, context)})";
        switch (outcome.End)
        {
            case RolloutEnd.Succeeded:
                context.Out.WriteLine($"rollout complete{(outcome.Reason is null ? "" : $" — {outcome.Reason}")}: the canary takes 100%; the stable revision drains{receipt}");
                break;
            case RolloutEnd.Paused:
                context.Err.WriteLine($"deploymatrix: rollout {outcome.Reason}; continue with: deploymatrix rollout resume|promote|abort {lane} --env {env}");
                break;
            default:
                context.Err.WriteLine($"deploymatrix: rollout {(outcome.End == RolloutEnd.Aborted ? "aborted" : "failed")} — {outcome.Reason}{receipt}");
                break;
        }

        return outcome.ExitCode;
    }
}
