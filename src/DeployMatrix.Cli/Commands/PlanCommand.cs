using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Core;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Git;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Core.Text;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix plan LANE --env ENV --tag TAG [--action …]</c>: the exact steps, printed, not run.</summary>
internal static class PlanCommand
{
    /// <summary>The command's arguments and options, one set per command tree.</summary>
    private sealed class Options
    {
        public Argument<string> Lane { get; } = new("LANE") { Description = "The lane to plan." };

        public Argument<string[]> Args { get; } = new("ARGS") { Description = "For --action run: the arguments after '--' that replace <command>.", Arity = ArgumentArity.ZeroOrMore };

        public Option<string?> Env { get; } = new("--env", "-e") { Description = "The environment (staging, production, …).", HelpName = "ENV" };

        public Option<string?> Region { get; } = ExecutionOptions.Region();

        public Option<string?> Tag { get; } = new("--tag", "-t") { Description = "The image tag. Default for build and deploy: the short git SHA of the matrix's repository, with -dirty-TREE on a dirty tree, TREE naming its content (as build and deploy use it). Without it, migrate is the rerun helper (the service's current image).", HelpName = "TAG" };

        public Option<string?> Action { get; } = new("--action", "-a") { Description = "What to plan. Default: deploy for services, run for binaries.", HelpName = "build|deploy|migrate|set-traffic|rollback|status|run|rollout" };

        public Option<int?> Percent { get; } = new("--percent", "-p") { Description = "For set-traffic: the canary's share, an integer 0..100 (stable gets the rest).", HelpName = "N" };

        public Option<string?> Stable { get; } = new("--stable") { Description = "For set-traffic and rollback: the stable revision (default: resolved when the step runs).", HelpName = "REV" };

        public Option<string?> Canary { get; } = new("--canary") { Description = "For set-traffic: the canary revision (default: the latest ready revision).", HelpName = "REV" };

        public Option<bool> NoTraffic { get; } = new("--no-traffic") { Description = "For deploy: leave traffic where it is whatever the target's traffic policy says, as deploy --no-traffic." };

        public Option<string> Format { get; } = new("--format") { Description = "text: numbered steps; shell: the exact commands the executor runs (gcloud for Cloud Run).", HelpName = "text|shell", DefaultValueFactory = _ => "text" };

        public Option[] All => [Env, Region, Tag, Action, Percent, Stable, Canary, NoTraffic, Format];
    }

    public static Command Create(CliContext context)
    {
        var o = new Options();
        o.Action.AcceptOnlyFromAmong([.. PlanActions.ByName.Keys]);
        o.Format.AcceptOnlyFromAmong("text", "shell");
        var command = new Command("plan", "Print the ordered steps an action will run for a lane in an environment, as text, JSON (--output json) or shell commands (--format shell). Nothing is executed.");
        command.Arguments.Add(o.Lane);
        command.Arguments.Add(o.Args);
        foreach (var option in o.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((result, ct) => RunAsync(o, result, context, ct));
        return command;
    }

    private static async Task<int> RunAsync(Options o, ParseResult result, CliContext context, CancellationToken ct)
    {
        var given = ExecutionOptions.ValidTag(result.GetValue(o.Tag));
        var matrix = MatrixSource.Load(result, context);
        var action = result.GetValue(o.Action) is { } name ? PlanActions.ByName[name] : (PlanAction?)null;
        RejectStrayArgs(o, matrix, action, result);
        var request = new PlanRequest
        {
            Lane = result.GetValue(o.Lane)!,
            Environment = result.GetValue(o.Env),
            Region = result.GetValue(o.Region),
            Tag = given ?? await DefaultTagAsync(matrix, action, result.GetValue(o.Lane)!, context, ct),
            Action = action,
            Percent = result.GetValue(o.Percent),
            Stable = result.GetValue(o.Stable),
            Canary = result.GetValue(o.Canary),
            NoTraffic = result.GetValue(o.NoTraffic),
            Args = result.GetValue(o.Args) ?? [],
            Platform = ExecutionOptions.PlatformOf(result, context), // the global --platform: plan as the commands would run
        };

        var planned = Planner.PlanWaves(matrix, request);
        if (!planned.Ok)
        {
            context.Err.WriteLine($"deploymatrix: {UntrustedText.OneLine(planned.Error ?? "")}");
            return planned.ExitCode;
        }

        // A rollback plan names the revision this folder's state records as stable, as the rollback would.
        var plans = new List<(Plan Plan, string? Pinned)>();
        foreach (var plan in planned.Plans)
        {
            plans.Add(Pin(plan, request, matrix, result, context));
        }

        var several = plans.Count > 1;
        if (context.Options.Json(result))
        {
            // One target: the plan; several: the waves, each a plan.
            if (several)
            {
                Json.Write(context.Out, "plan-waves", new { request.Lane, plans[0].Plan.Environment, Order = WaveOrders.Name(planned.Order), Waves = plans.Select(p => p.Plan) });
            }
            else
            {
                Json.Write(context.Out, "plan", plans[0].Plan);
            }
        }
        else if (result.GetValue(o.Format) == "shell")
        {
            if (several)
            {
                context.Out.WriteLine($"# {plans.Count} regions of {plans[0].Plan.Environment}, {Waves(planned.Order)}");
            }

            foreach (var ((plan, pinned), i) in plans.Select((p, i) => (p, i)))
            {
                if (several)
                {
                    context.Out.WriteLine($"# wave {i + 1}/{plans.Count}: {plan.Lane} in {plan.Environment}, {plan.Region}");
                }

                if (pinned is not null)
                {
                    context.Out.WriteLine($"# {pinned}");
                }

                context.Out.Write(ShellRenderer.Render(plan));
            }
        }
        else
        {
            if (several)
            {
                context.Out.WriteLine($"{plans.Count} regions of {plans[0].Plan.Environment}, {Waves(planned.Order)}:");
            }

            foreach (var (plan, pinned) in plans)
            {
                if (pinned is not null)
                {
                    context.Out.WriteLine($"note: {pinned}");
                }

                PrintText(plan, context.Out);
            }
        }

        return ExitCodes.Ok;
    }

    private static string Waves(WaveOrder order) => order == WaveOrder.Sequential
        ? "one wave after another (each finishes — deploy, migration, smoke, rollout — before the next starts; a failure stops the waves behind it)"
        : "all at once (order: parallel)";

    /// <summary>A rollback plan without --stable pinned to the stable revision this folder's state records for its target, with the note saying so.</summary>
    private static (Plan Plan, string? Pinned) Pin(Plan plan, PlanRequest request, Matrix matrix, ParseResult result, CliContext context)
    {
        if (plan.Action != PlanAction.Rollback || request.Stable is not null || plan.Environment is not { } env)
        {
            return (plan, null);
        }

        using var workspace = WorkspaceFactory.OpenExisting(matrix, result, context);
        if (workspace is null || new RollbackOperation(workspace).RecordedTarget(plan.Lane, env, plan.Region) is not { } recorded)
        {
            return (plan, null);
        }

        var pinned = $"{recorded} is the stable revision this folder's state records (the one that served all traffic before the latest change)";
        return (Planner.Plan(matrix, request with { Stable = recorded, Region = plan.Region ?? request.Region }).Plan!, pinned);
    }

    /// <summary>Extra words belong only to <c>run</c>; elsewhere they are a typo (e.g. <c>--evn</c>) and must not be ignored.</summary>
    private static void RejectStrayArgs(Options o, Matrix matrix, PlanAction? action, ParseResult result)
    {
        var args = result.GetValue(o.Args) ?? [];
        var lane = result.GetValue(o.Lane)!;
        var effective = action ?? (matrix.FindLane(lane) is { } known ? Planner.DefaultAction(known) : PlanAction.Deploy);
        if (args.Length == 0 || effective == PlanAction.Run)
        {
            return;
        }

        var first = args[0];
        var options = o.All.SelectMany(option => option.Aliases.Prepend(option.Name)).ToList();
        var hint = first.StartsWith('-') && DidYouMean.Closest(first, options) is { } closest ? $"; did you mean '{closest}'?" : "";
        throw new UsageException($"unexpected argument '{first}' for {PlanActions.Name(effective)}{hint} (arguments after '--' belong to --action run)");
    }

    /// <summary>
    /// Build and deploy default to the tag the commands would use — the short SHA of HEAD, with -dirty-TREE on
    /// a dirty tree — so the plan shows what will run; migrate without a tag is the rerun helper.
    /// </summary>
    private static async Task<string?> DefaultTagAsync(Matrix matrix, PlanAction? action, string lane, CliContext context, CancellationToken ct)
    {
        var effective = action ?? (matrix.FindLane(lane) is { } known ? Planner.DefaultAction(known) : PlanAction.Deploy);
        return effective is PlanAction.Build or PlanAction.Deploy
            ? await new GitInfo(WorkspaceFactory.Processes(context)).DefaultTagAsync(matrix.BaseDirectory, refuseDirty: false, ct)
            : null;
    }

    private static void PrintText(Plan plan, TextWriter output)
    {
        var where = plan.Environment is null ? "" : $" → {plan.Environment}{(plan.Region is null ? "" : $", {plan.Region}")}";
        var platform = plan.Platform is { } p ? $" on {PlatformNames.Name(p)}" : "";
        var tag = plan.Tag is null ? "" : $", tag {plan.Tag}";
        output.WriteLine($"plan: {PlanActions.Name(plan.Action)} {plan.Lane}{where}{platform}{tag}");
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            output.WriteLine($"  {i + 1,2}. {plan.Steps[i].Describe()}");
        }

        foreach (var note in plan.Notes)
        {
            output.WriteLine($"note: {note}");
        }
    }
}
