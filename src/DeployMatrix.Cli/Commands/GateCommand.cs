using System.CommandLine;
using System.Globalization;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Core.Text;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix gate --from ENV --to ENV --tag TAG</c>: the go/no-go between environments, with evidence.</summary>
internal static class GateCommand
{
    public static Command Create(CliContext context)
    {
        var from = new Option<string?>("--from") { Description = "The environment being validated (default: the matrix gate's 'from').", HelpName = "ENV" };
        var to = new Option<string?>("--to") { Description = "The environment the tag would be promoted to (default: the gate's 'to').", HelpName = "ENV" };
        var tag = ExecutionOptions.Tag();
        tag.Description = "The tag this gate decides on (default: the short git SHA of the matrix's repository, with -dirty-TREE on a dirty tree, TREE naming its content).";
        var command = new Command("gate", "Run the release gate's checks (in parallel, each bounded) and decide go/no-go: any required failure or required skip is a no-go (exit 1). Evidence goes to .deploymatrix/evidence/TIMESTAMP/ (results.tsv, results.json, SUMMARY.md, one log per check); a go lets deploys to the 'to' environment take this tag.");
        command.Options.Add(from);
        command.Options.Add(to);
        command.Options.Add(tag);
        command.SetAction(async (result, ct) =>
        {
            var given = ExecutionOptions.ValidTag(result.GetValue(tag));
            var shown = Documents.Shown(result, context);
            using var ws = WorkspaceFactory.Open(result, context);
            var report = await new GateOperation(ws).RunAsync(result.GetValue(from), result.GetValue(to), given,
                context.Err.WriteLine,
                (gate, decided) => shown.Out.WriteLine($"gate {gate.From} → {gate.To} for tag {decided}: {gate.Checks.Count} checks"),
                r =>
                {
                    lock (shown.Out)
                    {
                        shown.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Mark(r.Status)} {r.CheckId,-28} {(r.Required ? "required" : "optional"),-8} {r.Status,-7} {UntrustedText.OneLine(r.Reason)} ({r.DurationMs:0} ms)"));
                    }
                },
                ct);
            shown.Out.WriteLine($"{(report.Go ? "GO" : "NO-GO")}: evidence in {MatrixSource.Display(report.EvidenceDirectory, context)}");
            if (context.Options.Json(result))
            {
                Json.Write(context.Out, "gate", new
                {
                    report.From, report.To, report.Tag, report.Go, Evidence = MatrixSource.Display(report.EvidenceDirectory, context), report.StartedAt, report.EndedAt,
                    Checks = report.Results, report.Releases,
                });
            }

            return report.Go ? 0 : 1;
        });
        return command;
    }

    private static string Mark(string status) => status switch
    {
        CheckStatus.Passed => "✓",
        CheckStatus.Failed => "✗",
        _ => "-",
    };
}
