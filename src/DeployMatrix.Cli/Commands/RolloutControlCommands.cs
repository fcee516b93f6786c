using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.State;

namespace DeployMatrix.Cli.Commands;

/// <summary>
/// <c>rollout status|pause|resume|abort|promote LANE --env ENV</c>: look at the latest rollout and step
/// in. A rollout driven by a live process gets a request it acts on within a fraction of a second; one
/// nobody drives (paused, held, or interrupted because its process died) is acted on here.
/// </summary>
internal static class RolloutControlCommands
{
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(30);

    public static IEnumerable<Command> Create(CliContext context)
    {
        yield return Make(context, "status", "Show the latest rollout of the lane: status (running, paused, held, interrupted, succeeded, failed, aborted), the stage it stands at, stable and canary, the reason, the traffic now, and what to do next.", reason: null, StatusAsync);
        yield return Make(context, "pause", "Hold the rollout at its current stage: the split stays until 'rollout resume' (or promote, abort).", reason: false, (r, c, s, why, ct) => ControlAsync(r, c, s, RolloutControl.Pause, why, ct));
        yield return Make(context, "resume", "Continue a paused, held or interrupted rollout from the stage it stood at (its split is set again and its window runs again), in this process.", reason: null, ResumeAsync);
        yield return Make(context, "abort", "Stop the rollout and send all traffic back to the stable revision at once.", reason: false, (r, c, s, why, ct) => ControlAsync(r, c, s, RolloutControl.Abort, why, ct));
        yield return Make(context, "promote", "Skip the remaining stages: the canary takes 100% now. Needs --reason, which is recorded.", reason: true, (r, c, s, why, ct) => ControlAsync(r, c, s, RolloutControl.Promote, why, ct));
    }

    private delegate Task<int> Action(ParseResult result, CliContext context, TargetScope scope, string? reason, CancellationToken ct);

    /// <param name="reason">null: no --reason; false: optional; true: required.</param>
    private static Command Make(CliContext context, string name, string description, bool? reason, Action action)
    {
        var lane = new Argument<string>("LANE") { Description = "The lane whose rollout this is." };
        var env = ExecutionOptions.Env();
        var command = new Command(name, description);
        command.Arguments.Add(lane);
        command.Options.Add(env);
        Option<string?>? why = null;
        if (reason is not null)
        {
            why = new Option<string?>("--reason") { Description = reason.Value ? "Why the stages are skipped (required, recorded)." : "Why (recorded).", HelpName = "TEXT" };
            command.Options.Add(why);
        }

        command.SetAction((result, ct) =>
        {
            var text = why is null ? null : result.GetValue(why);
            if (reason == true && string.IsNullOrWhiteSpace(text))
            {
                throw new UsageException($"rollout {name} needs --reason \"…\" saying why the remaining stages are skipped (it is recorded)");
            }

            // Only resume and acting on an undriven rollout take the lane's lock; they decide below.
            return Execute.WithTargetAsync(result, context, result.GetValue(lane)!, result.GetValue(env)!, $"rollout {name}",
                scope => action(result, context, scope, text, ct), ct, locked: false);
        });
        return command;
    }

    private static RolloutRecord Latest(TargetScope scope) =>
        scope.Session.State.LatestRollout(scope.Lane.Name, scope.Target.Environment)
        ?? throw new CommandFailure($"no rollout of {scope.Lane.Name} in {scope.Target.Environment} yet; start one with: deploymatrix rollout {scope.Lane.Name} --env {scope.Target.Environment}", ExitCodes.Failed);

    private static async Task<int> StatusAsync(ParseResult result, CliContext context, TargetScope scope, string? reason, CancellationToken ct)
    {
        var record = Latest(scope);
        var service = await scope.Platform.GetServiceAsync(scope.Target, ct);
        var traffic = service.Traffic.Select(t => $"{t.Revision} {t.Percent}%").ToList();
        var next = record.Shown switch
        {
            "running" => $"driven by pid {record.OwnerPid}; step in with: deploymatrix rollout pause|promote|abort {record.Lane} --env {record.Env}",
            "paused" or "held" or "interrupted" => $"deploymatrix rollout resume|promote|abort {record.Lane} --env {record.Env}",
            _ => null,
        };
        if (GlobalOptions.Json(result))
        {
            Json.Write(context.Out, new
            {
                record.Id, record.Lane, record.Env, Status = record.Shown, record.Stage, record.StageIndex, record.Stages, record.Stable, record.Canary,
                record.Reason, record.StartedAt, record.UpdatedAt, WindowSeconds = record.WindowMs / 1000.0, record.OwnerPid, Traffic = service.Traffic, Next = next,
            });
            return ExitCodes.Ok;
        }

        var stages = string.Join(", ", record.Stages.Select((s, i) => i == record.StageIndex && !RolloutStatus.IsFinished(record.Status) ? $"[{s}]" : $"{s}"));
        context.Out.WriteLine($"rollout #{record.Id} of {record.Lane} in {record.Env}: {record.Shown} at {record.Stage}% (stages {stages})");
        context.Out.WriteLine($"  stable {record.Stable} → canary {record.Canary}");
        context.Out.WriteLine($"  started {record.StartedAt}, updated {record.UpdatedAt}");
        if (record.Reason is not null)
        {
            context.Out.WriteLine($"  reason: {record.Reason}");
        }

        context.Out.WriteLine($"  traffic now: {(traffic.Count == 0 ? "none" : string.Join(", ", traffic))}");
        if (next is not null)
        {
            context.Out.WriteLine($"  next: {next}");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ResumeAsync(ParseResult result, CliContext context, TargetScope scope, string? reason, CancellationToken ct)
    {
        var wait = TimeSpan.FromSeconds(result.GetValue(ExecutionOptions.LockWait));
        return await scope.Session.WithLockAsync(scope.Lane.Name, scope.Target.Environment, "rollout resume", wait, async () =>
        {
            var record = Latest(scope);
            if (RolloutStatus.IsFinished(record.Status))
            {
                throw new CommandFailure($"rollout #{record.Id} already ended ({record.Status}); nothing to resume", ExitCodes.Failed);
            }

            if (record.DrivenElsewhere)
            {
                throw new CommandFailure($"rollout #{record.Id} is running in pid {record.OwnerPid}; nothing to resume", ExitCodes.Failed);
            }

            context.Out.WriteLine($"resuming rollout #{record.Id} of {record.Lane} in {record.Env} at {record.Stage}% ({record.Shown}): {record.Stable} → {record.Canary}");
            var request = await RequestAsync(scope, record, ct);
            return await RolloutCommand.DriveAsync(context, scope, (runner, c) => runner.ResumeAsync(record, request, c), ct);
        });
    }

    private static async Task<int> ControlAsync(ParseResult result, CliContext context, TargetScope scope, string control, string? reason, CancellationToken ct)
    {
        var state = scope.Session.State;
        var record = Latest(scope);
        if (RolloutStatus.IsFinished(record.Status))
        {
            throw new CommandFailure($"rollout #{record.Id} already ended ({record.Status}); nothing to {control}", ExitCodes.Failed);
        }

        if (record.DrivenElsewhere)
        {
            // The driving process acts on the request at its next poll; wait until it has.
            state.RequestRolloutControl(record.Id, control, LocalSession.Actor, reason);
            var deadline = context.Time.GetUtcNow() + AckTimeout;
            while (state.Rollout(record.Id) is { Status: RolloutStatus.Running } current && current.DrivenElsewhere)
            {
                if (context.Time.GetUtcNow() >= deadline)
                {
                    throw new CommandFailure($"rollout #{record.Id} (pid {record.OwnerPid}) did not act on '{control}' within {AckTimeout.TotalSeconds:0}s; the request stays recorded", ExitCodes.Failed);
                }

                await Task.Delay(RolloutRunner.ControlPoll, context.Time, ct);
            }

            var after = state.Rollout(record.Id)!;
            context.Out.WriteLine($"rollout #{after.Id}: {after.Shown} at {after.Stage}% — {after.Reason}");
            return after.Status == RolloutStatus.Running ? ExitCodes.Failed : ExitCodes.Ok;
        }

        if (control == RolloutControl.Pause && record.Status == RolloutStatus.Paused)
        {
            context.Out.WriteLine($"rollout #{record.Id} is already paused at {record.Stage}%");
            return ExitCodes.Ok;
        }

        var wait = TimeSpan.FromSeconds(result.GetValue(ExecutionOptions.LockWait));
        return await scope.Session.WithLockAsync(scope.Lane.Name, scope.Target.Environment, $"rollout {control}", wait, async () =>
        {
            var request = await RequestAsync(scope, record, ct);
            var runner = new RolloutRunner(scope.Platform, state, context.Time, new PlainRolloutReporter(context.Out), LocalSession.Actor,
                new Engine.Execution.ReceiptWriter(scope.Session.Paths.Receipts, context.Time));
            var outcome = await runner.ApplyAsync(record, request, new RolloutControlRequest(control, LocalSession.Actor, reason), ct);
            var receipt = outcome.Receipt is null ? "" : $" (receipt {MatrixSource.Display(outcome.Receipt, context)})";
            context.Out.WriteLine($"rollout #{record.Id}: {outcome.Reason}{receipt}");
            return ExitCodes.Ok;
        });
    }

    private static async Task<RolloutRequest> RequestAsync(TargetScope scope, RolloutRecord record, CancellationToken ct)
    {
        var service = await scope.Platform.GetServiceAsync(scope.Target, ct);
        return new RolloutRequest(scope.Target, record.Stable, record.Canary, scope.Lane.Rollout ?? scope.Matrix.Defaults.Rollout)
        {
            Tag = service.Revisions.FirstOrDefault(r => r.Name == record.Canary)?.Tag,
        };
    }
}
