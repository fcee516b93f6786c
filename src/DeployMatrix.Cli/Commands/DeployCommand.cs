using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core.Planning;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix deploy LANE --env ENV [--tag TAG] [--no-traffic]</c>.</summary>
internal static class DeployCommand
{
    public static Command Create(CliContext context)
    {
        var lane = new Argument<string>("LANE") { Description = "The lane to deploy." };
        var env = ExecutionOptions.Env();
        var tag = ExecutionOptions.Tag();
        var noTraffic = new Option<bool>("--no-traffic") { Description = "Create the revision without moving traffic, whatever the environment does by default." };
        var overrideGate = new Option<bool>("--override-gate") { Description = "Deploy to the gate's target environment without a passing gate for this tag; needs --reason, and is journaled." };
        var reason = new Option<string?>("--reason") { Description = "Why the gate is overridden (recorded in the journal).", HelpName = "TEXT" };
        var command = new Command("deploy", "Deploy a new revision of the lane's image: wait for readiness, verify it runs the requested image, run a mandatory migration and the drift check, smoke-check it, then give it all traffic — except where the environment (production) deploys with no traffic. The gate's target environment takes only tags that passed the gate.");
        command.Arguments.Add(lane);
        command.Options.Add(env);
        command.Options.Add(ExecutionOptions.Executor);
        command.Options.Add(tag);
        command.Options.Add(noTraffic);
        command.Options.Add(overrideGate);
        command.Options.Add(reason);
        var freeze = new FreezeOptions();
        freeze.AddTo(command);
        command.SetAction((result, ct) => Execute.PlanAndRunAsync(result, context, matrix => new PlanRequest
        {
            Lane = result.GetValue(lane)!,
            Environment = result.GetValue(env),
            Tag = Execute.ValidTag(result.GetValue(tag)) ?? Execute.DefaultTag(matrix, refuseDirty: false),
            Action = PlanAction.Deploy,
            NoTraffic = result.GetValue(noTraffic),
        }, ct, GateOverride(result.GetValue(overrideGate), result.GetValue(reason)), freeze.Ticket(result)));
        return command;
    }

    internal static string? GateOverride(bool overrideGate, string? reason) => (overrideGate, reason) switch
    {
        (false, null) => null,
        (true, { Length: > 0 } text) => text,
        (true, _) => throw new UsageException("--override-gate needs --reason \"why\"; the reason is recorded"),
        (false, _) => throw new UsageException("--reason goes with --override-gate"),
    };
}
