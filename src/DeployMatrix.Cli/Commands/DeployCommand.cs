using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix deploy LANE --env ENV [--tag TAG] [--no-traffic]</c>.</summary>
internal static class DeployCommand
{
    public static Command Create(CliContext context)
    {
        var target = new TargetArguments("The lane to deploy.");
        var tag = ExecutionOptions.Tag();
        var noTraffic = new Option<bool>("--no-traffic") { Description = "Create the revision without moving traffic, whatever the environment does by default." };
        var gate = new GateOverrideOptions("Deploy to the gate's target environment without a passing gate for this tag; needs --reason, and is recorded.");
        var freeze = new FreezeOptions();
        var command = new Command("deploy", "Deploy a new revision of the lane's image: wait for readiness, verify it runs the requested image, run a mandatory migration and the drift check, smoke-check it, then give it all traffic — except where the environment (production) deploys with no traffic. The gate's target environment takes only tags that passed the gate.");
        target.AddTo(command);
        command.Options.Add(context.Options.Executor);
        command.Options.Add(tag);
        command.Options.Add(noTraffic);
        gate.AddTo(command);
        freeze.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var (lane, env) = target.Read(result);
            var options = ExecutionOptions.Change(result, context) with { GateOverride = gate.Read(result), ChangeTicket = freeze.Ticket(result) };
            using var ws = WorkspaceFactory.Open(result, context);
            var outcome = await new DeployOperation(ws).RunAsync(lane, env, ExecutionOptions.ValidTag(result.GetValue(tag)), result.GetValue(noTraffic), options, new ConsoleReporter(context.Out), ct);
            return PlanOutput.Print(outcome, context);
        });
        return command;
    }
}
