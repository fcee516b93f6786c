using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Core.Text;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Rollout;

namespace DeployMatrix.Cli.Commands;

/// <summary>
/// <c>rollout status|pause|resume|abort|promote LANE --env ENV</c>: look at the latest rollout and step
/// in (<see cref="RolloutControlOperation"/>).
/// </summary>
internal static class RolloutControlCommands
{
    public static IEnumerable<Command> Create(CliContext context)
    {
        yield return Make(context, "status", "Show the latest rollout of the lane: status (running, paused, held, interrupted, succeeded, failed, aborted), the stage it stands at, stable and canary, the reason, the traffic now, and what to do next.", reason: null, StatusAsync);
        yield return Make(context, "pause", "Hold the rollout at its current stage: the split stays until 'rollout resume' (or promote, abort).", reason: false, (o, r, c, l, e, why, ct) => ControlAsync(o, r, c, l, e, RolloutControl.Pause, why, ct));
        yield return Make(context, "resume", $"Continue a paused, held or interrupted rollout from the stage it stood at (its split is set again and its window runs again), in this process.{Moves}", reason: null, ResumeAsync, executor: true);
        yield return Make(context, "abort", $"Stop the rollout and send all traffic back to the stable revision at once.{Moves}", reason: false, (o, r, c, l, e, why, ct) => ControlAsync(o, r, c, l, e, RolloutControl.Abort, why, ct), executor: true);
        yield return Make(context, "promote", $"Skip the remaining stages: the canary takes 100% now. Needs --reason, which is recorded.{Moves}", reason: true, (o, r, c, l, e, why, ct) => ControlAsync(o, r, c, l, e, RolloutControl.Promote, why, ct), executor: true);
    }

    /// <summary>What --executor means here: only the traffic this process moves; a running rollout's driver moves it with its own.</summary>
    private const string Moves = " With --executor gcloud (Cloud Run), traffic this command moves runs as 'gcloud run services update-traffic'; a rollout another process drives moves it with that process's executor.";

    private delegate Task<int> Action(RolloutControlOperation operation, ParseResult result, CliContext context, string lane, string env, string? reason, CancellationToken ct);

    /// <param name="reason">null: no --reason; false: optional; true: required.</param>
    /// <param name="executor">The command may move traffic itself, so it takes --executor and --yes (and asks in production).</param>
    private static Command Make(CliContext context, string name, string description, bool? reason, Action action, bool executor = false)
    {
        var target = new TargetArguments("The lane whose rollout this is.",
            "One region of an environment that runs in several (default: the region whose rollout is unfinished, else the one whose rollout ran last).");
        var command = new Command(name, description);
        target.AddTo(command);
        if (executor)
        {
            command.Options.Add(context.Options.Executor);
            command.Options.Add(context.Options.Yes);
        }

        Option<string?>? why = null;
        if (reason is not null)
        {
            why = new Option<string?>("--reason") { Description = reason.Value ? "Why the stages are skipped (required, recorded)." : "Why (recorded).", HelpName = "TEXT" };
            command.Options.Add(why);
        }

        command.SetAction(async (result, ct) =>
        {
            var text = why is null ? null : result.GetValue(why);
            if (reason == true && string.IsNullOrWhiteSpace(text))
            {
                throw new UsageException($"rollout {name} needs --reason \"…\" saying why the remaining stages are skipped (it is recorded)");
            }

            var (lane, env) = target.Read(result);
            using var ws = WorkspaceFactory.Open(result, context);
            if (executor)
            {
                // These move traffic (the canary's, or back to stable): a change to production asks first.
                Confirmation.Ask(result, context, ws.Matrix, env, $"rollout {name} {lane}");
            }

            var operation = new RolloutControlOperation(ws) { Gcloud = executor && ExecutionOptions.UsesGcloud(result, context), Region = target.Region(result) };
            return await action(operation, result, context, lane, env, text, ct);
        });
        return command;
    }

    private static async Task<int> StatusAsync(RolloutControlOperation operation, ParseResult result, CliContext context, string lane, string env, string? reason, CancellationToken ct)
    {
        var (rollout, traffic, next) = await operation.StatusAsync(lane, env, ct);
        if (context.Options.Json(result))
        {
            Json.Write(context.Out, "rollout-status", new
            {
                rollout.Id, rollout.Lane, rollout.Env, Status = rollout.Shown, rollout.Stage, rollout.StageIndex, rollout.Stages, rollout.Stable, rollout.Canary,
                rollout.Reason, rollout.Row.StartedAt, rollout.Row.UpdatedAt, WindowSeconds = rollout.Window.TotalSeconds, rollout.Row.OwnerPid, Traffic = traffic, Next = next,
            });
            return 0;
        }

        var stages = string.Join(", ", rollout.Stages.Select((s, i) => i == rollout.StageIndex && !rollout.Finished ? $"[{s}]" : $"{s}"));
        context.Out.WriteLine($"rollout #{rollout.Id} of {rollout.Lane} in {rollout.Env}: {rollout.Shown} at {rollout.Stage}% (stages {stages})");
        context.Out.WriteLine($"  stable {rollout.Stable} → canary {rollout.Canary}");
        context.Out.WriteLine($"  started {rollout.Row.StartedAt}, updated {rollout.Row.UpdatedAt}");
        if (rollout.Reason is not null)
        {
            context.Out.WriteLine($"  reason: {UntrustedText.OneLine(rollout.Reason)}");
        }

        context.Out.WriteLine($"  traffic now: {(traffic.Count == 0 ? "none" : string.Join(", ", traffic.Select(t => $"{t.Revision} {t.Percent}%")))}");
        if (next is not null)
        {
            context.Out.WriteLine($"  next: {next}");
        }

        return 0;
    }

    private static async Task<int> ResumeAsync(RolloutControlOperation operation, ParseResult result, CliContext context, string lane, string env, string? reason, CancellationToken ct)
    {
        var shown = Documents.Shown(result, context);
        var outcome = await operation.ResumeAsync(lane, env, shown.Out.WriteLine, RolloutCommand.Driver(shown), ct);
        var exit = RolloutCommand.Ended(outcome, lane, $"--env {env}{(operation.Region is { } region ? $" --region {region}" : "")}", shown);
        return context.Options.Json(result) ? Documents.Rollout(lane, env, operation.Region, outcome, context) : exit;
    }

    private static async Task<int> ControlAsync(RolloutControlOperation operation, ParseResult result, CliContext context, string lane, string env, RolloutControl control, string? reason, CancellationToken ct)
    {
        var shown = Documents.Shown(result, context);
        var done = await operation.ControlAsync(lane, env, control, reason, new PlainRolloutReporter(shown.Out), ct);
        var receipt = done.Receipt is null ? null : MatrixSource.Display(done.Receipt, context);
        shown.Out.WriteLine($"rollout #{done.Rollout.Id}: {done.Message}{(receipt is null ? "" : $" (receipt {receipt})")}");
        if (context.Options.Json(result))
        {
            Json.Write(context.Out, "rollout-control", new { done.Rollout.Id, Lane = lane, Environment = env, operation.Region, Control = control, done.Message, done.Done, Receipt = receipt });
        }

        return done.Done ? 0 : 1;
    }
}
