using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Core;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Git;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix plan LANE --env ENV --tag TAG [--action …]</c>: the exact steps, printed, not run.</summary>
internal static class PlanCommand
{
    private static readonly Argument<string> Lane = new("LANE") { Description = "The lane to plan." };
    private static readonly Argument<string[]> Args = new("ARGS") { Description = "For --action run: the arguments after '--' that replace <command>.", Arity = ArgumentArity.ZeroOrMore };
    private static readonly Option<string?> Env = new("--env", "-e") { Description = "The environment (staging, production, …).", HelpName = "ENV" };
    private static readonly Option<string?> Tag = new("--tag", "-t") { Description = "The image tag. Default for build and deploy: the short git SHA of the matrix's repository. Without it, migrate is the rerun helper (the service's current image).", HelpName = "TAG" };
    private static readonly Option<string?> Action = new("--action", "-a") { Description = "What to plan. Default: deploy for services, run for binaries.", HelpName = "build|deploy|migrate|set-traffic|rollback|status|run" };
    private static readonly Option<int?> Percent = new("--percent", "-p") { Description = "For set-traffic: the canary's share, an integer 0..100 (stable gets the rest).", HelpName = "N" };
    private static readonly Option<string?> Stable = new("--stable") { Description = "For set-traffic and rollback: the stable revision (default: resolved when the step runs).", HelpName = "REV" };
    private static readonly Option<string?> Canary = new("--canary") { Description = "For set-traffic: the canary revision (default: the latest ready revision).", HelpName = "REV" };
    private static readonly Option<string> Format = new("--format") { Description = "text: numbered steps; shell: the exact commands the executor runs (gcloud for Cloud Run).", HelpName = "text|shell", DefaultValueFactory = _ => "text" };

    public static Command Create(CliContext context)
    {
        Action.AcceptOnlyFromAmong([.. PlanActions.ByName.Keys]);
        Format.AcceptOnlyFromAmong("text", "shell");
        var command = new Command("plan", "Print the ordered steps an action will run for a lane in an environment, as text, JSON (--output json) or shell commands (--format shell). Nothing is executed.");
        command.Arguments.Add(Lane);
        command.Arguments.Add(Args);
        foreach (var option in new Option[] { Env, Tag, Action, Percent, Stable, Canary, Format })
        {
            command.Options.Add(option);
        }

        command.SetAction((result, ct) => RunAsync(result, context, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken ct)
    {
        var given = ExecutionOptions.ValidTag(result.GetValue(Tag));
        var matrix = MatrixSource.Load(result, context);
        var action = result.GetValue(Action) is { } name ? PlanActions.ByName[name] : (PlanAction?)null;
        RejectStrayArgs(matrix, action, result);
        var request = new PlanRequest
        {
            Lane = result.GetValue(Lane)!,
            Environment = result.GetValue(Env),
            Tag = given ?? await DefaultTagAsync(matrix, action, result.GetValue(Lane)!, context, ct),
            Action = action,
            Percent = result.GetValue(Percent),
            Stable = result.GetValue(Stable),
            Canary = result.GetValue(Canary),
            Args = result.GetValue(Args) ?? [],
            Platform = ExecutionOptions.PlatformOf(result, context), // the global --platform: plan as the commands would run
        };

        var planned = Planner.Plan(matrix, request);
        if (planned.Plan is not { } plan)
        {
            context.Err.WriteLine($"deploymatrix: {planned.Error}");
            return planned.ExitCode;
        }

        if (GlobalOptions.Json(result))
        {
            Json.Write(context.Out, plan);
        }
        else if (result.GetValue(Format) == "shell")
        {
            context.Out.Write(ShellRenderer.Render(plan));
        }
        else
        {
            PrintText(plan, context.Out);
        }

        return ExitCodes.Ok;
    }

    /// <summary>Extra words belong only to <c>run</c>; elsewhere they are a typo (e.g. <c>--evn</c>) and must not be ignored.</summary>
    private static void RejectStrayArgs(Matrix matrix, PlanAction? action, ParseResult result)
    {
        var args = result.GetValue(Args) ?? [];
        var lane = result.GetValue(Lane)!;
        var effective = action ?? (matrix.FindLane(lane) is { } known ? Planner.DefaultAction(known) : PlanAction.Deploy);
        if (args.Length == 0 || effective == PlanAction.Run)
        {
            return;
        }

        var first = args[0];
        var options = new Option[] { Env, Tag, Action, Percent, Stable, Canary, Format }.SelectMany(o => o.Aliases.Prepend(o.Name)).ToList();
        var hint = first.StartsWith('-') && DidYouMean.Closest(first, options) is { } closest ? $"; did you mean '{closest}'?" : "";
        throw new UsageException($"unexpected argument '{first}' for {PlanActions.Name(effective)}{hint} (arguments after '--' belong to --action run)");
    }

    /// <summary>
    /// Build and deploy default to the tag the commands would use — the short SHA of HEAD, with -dirty on
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
        var where = plan.Environment is null ? "" : $" → {plan.Environment}";
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
