using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Core.Text;
using DeployMatrix.Engine.Operations;
using DeployMatrix.State;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix history [LANE]</c> and <c>deploymatrix audit verify</c>: the hash-chained audit log and the journal behind it.</summary>
internal static partial class AuditCommand
{
    public static Command CreateHistory(CliContext context)
    {
        var lane = new Argument<string?>("LANE") { Description = "Only this lane's records.", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--limit", "-n") { Description = "How many of the newest records to show (default 50).", HelpName = "N", DefaultValueFactory = _ => 50 };
        var steps = new Option<bool>("--steps") { Description = "Under each record, the steps its operation journaled (started, succeeded or failed, with their details)." };
        var command = new Command("history", "List the audit log, newest last: who (OS user), when, what, inputs, result and receipt of every build, deploy, traffic change, rollback, migration, gate and override; then any operation that began and never ended (still running, or interrupted), with the step it was at.");
        command.Arguments.Add(lane);
        command.Options.Add(limit);
        command.Options.Add(steps);
        command.SetAction(result =>
        {
            using var ws = WorkspaceFactory.Open(result, context);
            var history = new AuditOperation(ws).History(result.GetValue(lane), result.GetValue(limit), result.GetValue(steps));
            if (context.Options.Json(result))
            {
                Json.Write(context.Out, "history", new
                {
                    Records = history.Entries.Select(e => Document(e, result.GetValue(steps))),
                    Unfinished = history.Unfinished.Select(u => new
                    {
                        u.Start.At, u.Start.Actor, u.Start.Action, u.Start.Lane, Environment = u.Start.Env, u.Start.Pid,
                        State = u.Running ? "running" : "interrupted", LastStep = u.LastStep is { } last ? Step(last) : null,
                    }),
                });
                return 0;
            }

            Print(history, context);
            return 0;
        });
        return command;
    }

    /// <summary>A record as JSON: the audit row's fields, and with --steps the steps its operation journaled (not the "started" rows).</summary>
    private static JsonObject Document(HistoryEntry entry, bool withSteps)
    {
        var record = (JsonObject)JsonSerializer.SerializeToNode(entry.Record, Json.Options)!;
        if (withSteps)
        {
            record["steps"] = JsonSerializer.SerializeToNode(entry.Steps.Where(s => s.Status != "started").Select(Step), Json.Options);
        }

        return record;
    }

    private static object Step(JournalRecord s) => new { s.At, s.Step, s.Status, s.Detail };

    public static Command CreateAudit(CliContext context)
    {
        var anchorOption = new Option<string?>("--anchor") { Description = "A head hash printed by 'audit anchor' earlier: the chain must still reach it, or records were removed from its end or rewritten (exit 1).", HelpName = "HASH" };
        var verify = new Command("verify", "Recompute the audit log's hash chain and every receipt's hash (the file, else the copy the state keeps); name the first tampered record (exit 1).");
        verify.Options.Add(anchorOption);
        verify.SetAction(result =>
        {
            var anchor = result.GetValue(anchorOption)?.Trim();
            if (anchor is not null && !Sha256Hex().IsMatch(anchor))
            {
                throw new UsageException($"--anchor: '{UntrustedText.OneLine(anchor)}' is not a head hash (64 hex digits); take one with: deploymatrix audit anchor");
            }

            using var ws = WorkspaceFactory.Open(result, context);
            var (problem, count) = new AuditOperation(ws).Verify(anchor);
            if (context.Options.Json(result))
            {
                Json.Write(context.Out, "audit-verify", new { Intact = problem is null, Records = count, BrokenAt = problem?.RecordId, problem?.Reason });
                return problem is null ? 0 : 1;
            }

            if (problem is not null)
            {
                context.Out.WriteLine($"audit log broken at record #{problem.RecordId}: {problem.Reason}");
                return 1;
            }

            context.Out.WriteLine($"audit log intact: {count} record{(count == 1 ? "" : "s")}, every receipt unchanged");
            return 0;
        });
        var outOption = new Option<string?>("--out") { Description = "Also write the hash to this file (kept somewhere the state's writers cannot change, it detects a truncated chain later).", HelpName = "FILE" };
        var anchorCommand = new Command("anchor", "Print the audit log's head hash (the newest record's); 'audit verify --anchor HASH' later proves no record up to it was removed or rewritten.");
        anchorCommand.Options.Add(outOption);
        anchorCommand.SetAction(result =>
        {
            using var ws = WorkspaceFactory.Open(result, context);
            var (id, hash) = new AuditOperation(ws).Anchor();
            if (result.GetValue(outOption) is { } file)
            {
                File.WriteAllText(file, hash + "\n");
            }

            if (context.Options.Json(result))
            {
                Json.Write(context.Out, "audit-anchor", new { Record = id, Hash = hash });
                return 0;
            }

            context.Out.WriteLine(hash);
            context.Err.WriteLine($"head of the audit log: record #{id}");
            return 0;
        });
        var command = new Command("audit", "Check the tamper-evident audit log.");
        command.Subcommands.Add(verify);
        command.Subcommands.Add(anchorCommand);
        return command;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial System.Text.RegularExpressions.Regex Sha256Hex();

    private static void Print(History history, CliContext context)
    {
        foreach (var (r, steps) in history.Entries)
        {
            var where = r.Lane is null && r.Env is null ? "" : $" {r.Lane ?? "-"}{(r.Env is null ? "" : $" ({r.Env})")}";
            // Actors, inputs and details are what people and platforms wrote: one line each, no escape sequences.
            context.Out.WriteLine(UntrustedText.OneLine($"#{r.Id} {r.At} {r.Actor} {r.Action}{where}: {r.Result}  {r.Inputs}{(r.Receipt is null ? "" : $"  receipt {MatrixSource.Display(r.Receipt, context)}")}"));
            foreach (var step in steps.Where(s => s.Status != "started"))
            {
                context.Out.WriteLine(UntrustedText.OneLine($"    {step.At} {step.Step}: {step.Status}{(step.Detail is null ? "" : $" — {step.Detail}")}"));
            }
        }

        if (history.Entries.Count == 0)
        {
            context.Out.WriteLine("no audit records yet");
        }

        foreach (var open in history.Unfinished)
        {
            var at = open.LastStep is { } last ? $" at '{last.Step}' ({last.Status})" : "";
            context.Out.WriteLine($"{(open.Running ? "RUNNING" : "INTERRUPTED")} {open.Start.At} {open.Start.Actor} {open.Start.Action} {open.Start.Lane ?? "-"}{(open.Start.Env is null ? "" : $" ({open.Start.Env})")}{at}: pid {open.Start.Pid}{(open.Running ? " is still working" : " ended without recording an end")}");
        }
    }
}
