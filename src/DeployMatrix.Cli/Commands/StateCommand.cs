using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Core;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Local;
using DeployMatrix.State;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix state copy --to URL</c>: this machine's state into the team's PostgreSQL database.</summary>
internal static class StateCommand
{
    public static Command Create(CliContext context)
    {
        var to = new Option<string?>("--to") { Description = "The PostgreSQL database (URI or connection string); default: the one DEPLOYMATRIX_STATE_URL names. Prefer the variable: a command line is visible to other users of the machine.", HelpName = "URL" };
        var copy = new Command("copy", "Copy .deploymatrix/state.db (journal, audit chain, gates, tags, rollouts, maintenance, receipts…) into a PostgreSQL database, in one transaction, keeping ids; rows already there are left alone, so running it again adds nothing. Verified table by table after; refused, with nothing copied, when the database holds other state.");
        copy.Options.Add(to);
        copy.SetAction(result =>
        {
            var matrix = MatrixSource.Load(result, context);
            var url = result.GetValue(to) ?? context.Env("DEPLOYMATRIX_STATE_URL");
            if (string.IsNullOrEmpty(url))
            {
                throw new UsageException("state copy: give --to postgresql://USER:PASSWORD@HOST:PORT/DB, or set DEPLOYMATRIX_STATE_URL");
            }

            StateLocation target;
            try
            {
                target = StateLocation.Postgres(url, "--to");
            }
            catch (StateStoreException e)
            {
                throw new UsageException(e.Message);
            }

            var copied = StateCopyOperation.Copy(LocalPaths.For(matrix.BaseDirectory).StateDb, target, context.Time);
            if (context.Options.Json(result))
            {
                Json.Write(context.Out, "state-copy", new
                {
                    Database = target.ToString(), Tables = copied.Tables.Select(t => new { t.Table, t.Rows, Copied = t.Added }), Copied = copied.Tables.Sum(t => t.Added), Verified = true,
                });
                return ExitCodes.Ok;
            }

            foreach (var (table, rows, added) in copied.Tables.Where(t => t.Rows > 0))
            {
                context.Out.WriteLine($"  {table}: {rows} row{(rows == 1 ? "" : "s")} ({added} copied now)");
            }

            var total = copied.Tables.Sum(t => t.Added);
            context.Out.WriteLine($"copied {total} row{(total == 1 ? "" : "s")} into {target}; verified: every table there equals this machine's");
            return ExitCodes.Ok;
        });
        var command = new Command("state", "The state's storage: copy this machine's state into the team's database (team mode).");
        command.Subcommands.Add(copy);
        return command;
    }
}
