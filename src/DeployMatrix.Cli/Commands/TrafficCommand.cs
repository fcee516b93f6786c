using System.CommandLine;
using System.Globalization;
using DeployMatrix.Cli.Common;
using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix traffic LANE --env ENV --to REV=PCT,REV=PCT</c> and <c>rollback LANE --env ENV [--to REV]</c>.</summary>
internal static class TrafficCommand
{
    public static Command Create(CliContext context)
    {
        var to = new Option<string>("--to") { Description = "The whole split: revisions with integer percents summing to 100, e.g. svc-00001-abc=90,svc-00002-def=10; LATEST names the latest ready revision.", HelpName = "REV=PCT,…", Required = true };
        return ChangeCommand.Create(context, "traffic", "Set a service's traffic split at once. Requests in flight finish where they went; revisions that lose all traffic drain, then stop.",
            "The lane whose traffic moves.", [to], (result, options) =>
            {
                var splits = ParseSplits(result.GetValue(to)!);
                return (ws, lane, env, region, reporter, waves, ct) => new TrafficOperation(ws).RunWavesAsync(lane, env, region, splits, options, reporter, waves, ct);
            });
    }

    public static Command CreateRollback(CliContext context)
    {
        var to = new Option<string?>("--to") { Description = "The revision to send all traffic to (default: the stable revision — the one that served all traffic before the latest change).", HelpName = "REV" };
        return ChangeCommand.Create(context, "rollback", "Send all traffic to the stable revision at once (the one that served all traffic before the latest change); exit 1 when that would change nothing.",
            "The lane to roll back.", [to], (result, options) =>
            {
                var revision = result.GetValue(to);
                return (ws, lane, env, region, reporter, waves, ct) => new RollbackOperation(ws).RunWavesAsync(lane, env, region, revision, options, reporter, waves, ct);
            });
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
