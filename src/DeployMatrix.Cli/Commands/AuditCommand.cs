using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core;
using DeployMatrix.Engine.Audit;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix history [LANE]</c> and <c>deploymatrix audit verify</c>: the hash-chained audit log.</summary>
internal static class AuditCommand
{
    public static Command CreateHistory(CliContext context)
    {
        var lane = new Argument<string?>("LANE") { Description = "Only this lane's records.", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--limit", "-n") { Description = "How many of the newest records to show (default 50).", HelpName = "N", DefaultValueFactory = _ => 50 };
        var command = new Command("history", "List the audit log, newest last: who (OS user), when, what, inputs, result and receipt of every build, deploy, traffic change, rollback, migration, gate and override.");
        command.Arguments.Add(lane);
        command.Options.Add(limit);
        command.SetAction(result => History(result, context, result.GetValue(lane), result.GetValue(limit)));
        return command;
    }

    public static Command CreateAudit(CliContext context)
    {
        var verify = new Command("verify", "Recompute the audit log's hash chain and every receipt's hash; name the first tampered record (exit 1).");
        verify.SetAction(result => Verify(result, context));
        var command = new Command("audit", "Check the tamper-evident audit log.");
        command.Subcommands.Add(verify);
        return command;
    }

    private static int History(ParseResult result, CliContext context, string? lane, int limit)
    {
        var matrix = MatrixSource.LoadValid(result, context);
        if (matrix is null)
        {
            return ExitCodes.BadInput;
        }

        using var session = LocalSession.Open(matrix, context);
        var records = session.State.AuditRecords().Where(r => lane is null || r.Lane == lane).TakeLast(Math.Max(1, limit)).ToList();
        if (GlobalOptions.Json(result))
        {
            Json.Write(context.Out, records);
            return ExitCodes.Ok;
        }

        foreach (var r in records)
        {
            var where = r.Lane is null && r.Env is null ? "" : $" {r.Lane ?? "-"}{(r.Env is null ? "" : $" ({r.Env})")}";
            context.Out.WriteLine($"#{r.Id} {r.At} {r.Actor} {r.Action}{where}: {r.Result}  {r.Inputs}{(r.Receipt is null ? "" : $"  receipt {MatrixSource.Display(r.Receipt, context)}")}");
        }

        if (records.Count == 0)
        {
            context.Out.WriteLine("no audit records yet");
        }

        return ExitCodes.Ok;
    }

    private static int Verify(ParseResult result, CliContext context)
    {
        var matrix = MatrixSource.LoadValid(result, context);
        if (matrix is null)
        {
            return ExitCodes.BadInput;
        }

        using var session = LocalSession.Open(matrix, context);
        var count = session.State.AuditRecords().Count;
        if (new AuditLog(session.State).Verify() is { } problem)
        {
            context.Out.WriteLine($"audit log broken at record #{problem.RecordId}: {problem.Reason}");
            return ExitCodes.Failed;
        }

        context.Out.WriteLine($"audit log intact: {count} record{(count == 1 ? "" : "s")}, every receipt unchanged");
        return ExitCodes.Ok;
    }
}
