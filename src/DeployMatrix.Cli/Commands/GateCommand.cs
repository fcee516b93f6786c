using System.CommandLine;
using System.Globalization;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core;
using DeployMatrix.Engine.Audit;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Local.Agent;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix gate --from ENV --to ENV --tag TAG</c>: the go/no-go between environments, with evidence.</summary>
internal static class GateCommand
{
    public static Command Create(CliContext context)
    {
        var from = new Option<string?>("--from") { Description = "The environment being validated (default: the matrix gate's 'from').", HelpName = "ENV" };
        var to = new Option<string?>("--to") { Description = "The environment the tag would be promoted to (default: the gate's 'to').", HelpName = "ENV" };
        var tag = ExecutionOptions.Tag();
        tag.Description = "The tag this gate decides on (default: the short git SHA of the matrix's repository).";
        var command = new Command("gate", "Run the release gate's checks (in parallel, each bounded) and decide go/no-go: any required failure or required skip is a no-go (exit 1). Evidence goes to .deploymatrix/evidence/TIMESTAMP/ (results.tsv, results.json, SUMMARY.md, one log per check); a go lets deploys to the 'to' environment take this tag.");
        command.Options.Add(from);
        command.Options.Add(to);
        command.Options.Add(tag);
        command.SetAction((result, ct) => RunAsync(result, context, result.GetValue(from), result.GetValue(to), Execute.ValidTag(result.GetValue(tag)), ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CliContext context, string? from, string? to, string? tag, CancellationToken ct)
    {
        var matrix = MatrixSource.LoadValid(result, context);
        if (matrix is null)
        {
            return ExitCodes.BadInput;
        }

        var gate = matrix.Gate ?? throw new UsageException("the matrix has no 'gate' section; add one with 'from', 'to' and 'checks'");
        if ((from ?? gate.From) != gate.From || (to ?? gate.To) != gate.To)
        {
            throw new UsageException($"the matrix's gate goes from '{gate.From}' to '{gate.To}'; run it with --from {gate.From} --to {gate.To}");
        }

        tag ??= Execute.DefaultTag(matrix, refuseDirty: false) ?? throw new UsageException("there is no default tag outside a git work tree; pass --tag TAG");
        using var session = LocalSession.Open(matrix, context);
        IPlatform? platform = null;
        if (ExecutionOptions.PlatformOf(result) == Core.Model.PlatformKind.CloudRun)
        {
            platform = await session.PlatformAsync(Core.Model.PlatformKind.CloudRun, ct);
        }
        else if (await AgentClient.ConnectAsync(session.Paths, ct) is not null)
        {
            platform = await session.PlatformAsync(Core.Model.PlatformKind.Local, ct);
        }
        else
        {
            context.Err.WriteLine("note: the local agent is not running, so checks of deployed lanes are skipped (start it with: deploymatrix agent start)");
        }

        var redactor = new Redactor();
        var runner = new GateRunner(matrix, platform, session.State, redactor, context.Time, ExecutionOptions.PlatformOf(result));
        context.Out.WriteLine($"gate {gate.From} → {gate.To} for tag {tag}: {gate.Checks.Count} checks");
        var report = await runner.RunAsync(gate, tag, Path.Combine(session.Paths.Root, "evidence"), r =>
        {
            lock (context.Out)
            {
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Mark(r.Status)} {r.CheckId,-28} {(r.Required ? "required" : "optional"),-8} {r.Status,-7} {r.Reason} ({r.DurationMs:0} ms)"));
            }
        }, ct);
        session.State.RecordGate(gate.From, gate.To, tag, report.Go, report.EvidenceDirectory);
        session.State.Journal(LocalSession.Actor, null, gate.To, "gate", null, report.Go ? "go" : "no-go", $"tag {tag}; evidence {report.EvidenceDirectory}");
        new AuditLog(session.State).Append(LocalSession.Actor, "gate", null, gate.To,
            new Dictionary<string, string?> { ["tag"] = tag, ["from"] = gate.From, ["to"] = gate.To, ["evidence"] = report.EvidenceDirectory },
            report.Go ? "go" : "no-go", Path.Combine(report.EvidenceDirectory, "results.json"));
        context.Out.WriteLine($"{(report.Go ? "GO" : "NO-GO")}: evidence in {MatrixSource.Display(report.EvidenceDirectory, context)}");
        return report.Go ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static string Mark(string status) => status switch
    {
        CheckStatus.Passed => "✓",
        CheckStatus.Failed => "✗",
        _ => "-",
    };
}
