using System.CommandLine;
using System.Globalization;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix traffic LANE --env ENV --to REV=PCT,REV=PCT</c> and <c>rollback LANE --env ENV [--to REV]</c>.</summary>
internal static class TrafficCommand
{
    public static Command Create(CliContext context)
    {
        var target = new TargetArguments("The lane whose traffic moves.");
        var to = new Option<string>("--to") { Description = "The whole split: revisions with integer percents summing to 100, e.g. svc-00001-abc=90,svc-00002-def=10; LATEST names the latest ready revision.", HelpName = "REV=PCT,…", Required = true };
        var command = new Command("traffic", "Set a service's traffic split at once. Requests in flight finish where they went; revisions that lose all traffic drain, then stop.");
        target.AddTo(command);
        command.Options.Add(context.Options.Executor);
        command.Options.Add(to);
        command.SetAction(async (result, ct) =>
        {
            var (lane, env) = target.Read(result);
            var splits = ParseSplits(result.GetValue(to)!);
            using var ws = WorkspaceFactory.Open(result, context);
            return PlanOutput.Print(await new TrafficOperation(ws).RunAsync(lane, env, splits, ExecutionOptions.Change(result, context), new ConsoleReporter(context.Out), ct), context);
        });
        return command;
    }

    public static Command CreateRollback(CliContext context)
    {
        var target = new TargetArguments("The lane to roll back.");
        var to = new Option<string?>("--to") { Description = "The revision to send all traffic to (default: the stable revision — the one that served all traffic before the latest change).", HelpName = "REV" };
        var command = new Command("rollback", "Send all traffic to the stable revision at once.");
        target.AddTo(command);
        command.Options.Add(context.Options.Executor);
        command.Options.Add(to);
        command.SetAction(async (result, ct) =>
        {
            var (lane, env) = target.Read(result);
            using var ws = WorkspaceFactory.Open(result, context);
            return PlanOutput.Print(await new RollbackOperation(ws).RunAsync(lane, env, result.GetValue(to), ExecutionOptions.Change(result, context), new ConsoleReporter(context.Out), ct), context);
        });
        return command;
    }

    /// <summary>Parses REV=PCT pairs; anything else is a usage error naming the bad part.</summary>
    internal static IReadOnlyList<(string Revision, int Percent)> ParseSplits(string text)
    {
        var splits = new List<(string, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.LastIndexOf('=');
            if (eq <= 0 || !int.TryParse(part[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
            {
                throw new UsageException($"--to part '{part}' is not REV=PCT with an integer percent, e.g. --to svc-00001-abc=90,svc-00002-def=10");
            }

            splits.Add((part[..eq], percent));
        }

        return splits;
    }
}
