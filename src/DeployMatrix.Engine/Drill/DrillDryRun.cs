using System.Globalization;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Files;

namespace DeployMatrix.Engine.Drill;

/// <summary>
/// <c>drill canary --dry-run</c>, as upstream's drill ran with <c>DRY_RUN=1</c>: every step is written to
/// the report with the command it would run, and its log holds that command and what it would do on the
/// platform (the gcloud commands on Cloud Run) — and nothing is run. No platform is called, not even to
/// read: the revisions are named as the drill would resolve them.
/// </summary>
public static class DrillDryRun
{
    public const string Reason = "dry run: not run";

    /// <param name="stable">The stable revision: named when this folder's state records one, else the role <c>STABLE</c>.</param>
    /// <returns>The steps as the report records them; their logs are written under <paramref name="outDir"/>.</returns>
    public static DrillResult Write(ResolvedTarget target, RevisionRef stable, IReadOnlyList<int> percents, string outDir, DateTimeOffset now)
    {
        SafeFile.RefuseLinkedFolder(outDir);
        SafeFile.CreateFolder(Path.Combine(outDir, "logs"));
        var stamp = now.ToString("O", CultureInfo.InvariantCulture);
        var canary = RevisionRef.Canary;
        var steps = new List<DrillStep>();
        foreach (var (id, description, percent) in DrillRunner.StepsFor(percents))
        {
            var command = DrillRunner.CommandFor(target, percent, stable.ToString(), canary.ToString());
            Step step = percent is { } p
                ? new SetTraffic(target.Ref, [.. DrillRunner.SplitFor(p, stable, canary).Select(s => new TrafficSplit(s.Revision, s.Percent))])
                : new DescribeStatus(target.Ref);
            var platform = target.Platform == PlatformKind.CloudRun ? "on Cloud Run, as gcloud commands" : "on the local platform";
            string[] lines =
            [
                $"{Reason}; nothing was changed",
                $"$ {command}",
                $"what it does {platform}:",
                .. ShellRenderer.Lines(step),
            ];
            var log = Path.Combine(outDir, "logs", $"{id}.log");
            SafeFile.Write(log, string.Concat(lines.Select(l => l + "\n")));
            steps.Add(new DrillStep(id, description, command, "pass", Reason, stamp, stamp, Path.GetRelativePath(outDir, log)));
        }

        return new DrillResult(steps, [], stable.ToString(), canary.ToString(), DryRun: true);
    }
}
