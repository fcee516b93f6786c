using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.Core.Text;

namespace DeployMatrix.Cli.Commands;

/// <summary>
/// <c>deploymatrix rollout LANE --env ENV [--tag TAG]</c>: walk the canary through the lane's stages
/// with analysis; its subcommands (<see cref="RolloutControlCommands"/>) let people look and step in.
/// </summary>
internal static class RolloutCommand
{
    public static Command Create(CliContext context)
    {
        var target = new TargetArguments("The lane to roll out.");
        var tag = ExecutionOptions.Tag();
        tag.Description = "Deploy this tag first as a no-traffic canary, holding the lane's lock for the deploy and the rollout (default: roll out the latest ready revision).";
        var gate = new GateOverrideOptions("Roll out to the gate's target environment a canary whose tag has no passing gate; needs --reason, and is recorded once.",
            "With --tag: deploy the canary without running the lane's verify checks for the environment; needs --reason, is audited, and the deploy's receipt and report say so.")
        {
            // Alone, --reason is why a release whose rehearsal found rollback not safe goes to the gate's target anyway.
            ReasonAlone = true,
        };
        gate.Reason.Description = "Why the gate is overridden or the verify checks are skipped; alone, why a release whose rehearsal found rollback_safe: false goes to the gate's target environment anyway (its failed stages then hold the split instead of rolling back). Recorded.";
        var window = new Option<string?>("--window") { Description = $"The analysis window per stage, {Durations.Format(RolloutPolicy.MinWindow)}..{Durations.Format(RolloutPolicy.MaxWindow)} as in the matrix, e.g. 30s; on Cloud Run at least {Durations.Format(MetricsCadence.CloudMonitoring.MinimumWindow)} (Cloud Monitoring's whole 60 s periods, shown up to 3 minutes late). Default: the lane's rollout window, 10m unless set.", HelpName = "DURATION" };
        var command = new Command("rollout", "Move traffic from the stable revision to the canary stage by stage (default 0, 5, 25, 50, 100). Each stage waits its window, then compares canary with stable (5xx rate, p95 regression, Fisher exact test on errors, Mann-Whitney on latency); a failed stage sends all traffic back to stable at once. Too little traffic extends the window, then rolls back or holds by the lane's on-inconclusive policy — never passes. A mandatory migration must have run with the canary's image first. The rollout is journaled: if this process dies, 'rollout status' shows where it stood and 'rollout resume' continues it. With --executor gcloud (Cloud Run), the canary's deploy and every traffic move run as the gcloud commands 'plan --action rollout --format shell' prints; the analysis still reads Cloud Monitoring through its API (gcloud has no command that reads time series), and the service is read through the Cloud Run API.");
        target.AddTo(command);
        command.Options.Add(tag);
        command.Options.Add(window);
        command.Options.Add(context.Options.Executor);
        command.Options.Add(context.Options.WaitOnCancel);
        command.Options.Add(context.Options.Yes);
        gate.AddTo(command);
        foreach (var sub in RolloutControlCommands.Create(context))
        {
            command.Subcommands.Add(sub);
        }

        command.SetAction(async (result, ct) =>
        {
            var (lane, env) = target.Read(result);
            var request = new RolloutStartRequest(lane, env)
            {
                Region = target.Region(result),
                Tag = ExecutionOptions.ValidTag(result.GetValue(tag)),
                Window = result.GetValue(window) is { } text ? Durations.Parse(text) ?? throw new UsageException($"--window '{text}' is not a duration; write it like 30s, 10m or 1h") : null,
                GateOverride = gate.Read(result),
                SkipVerify = gate.SkipVerifyReason(result),
                RollbackUnsafeReason = result.GetValue(gate.Reason),
                Gcloud = ExecutionOptions.UsesGcloud(result, context),
                WaitOnCancel = result.GetValue(context.Options.WaitOnCancel),
            };
            using var ws = WorkspaceFactory.Open(result, context);
            Confirmation.Ask(result, context, ws.Matrix, env, $"rollout {lane}");
            var shown = Documents.Shown(result, context);
            var waves = await new RolloutOperation(ws).RunWavesAsync(request, StepReporters.For(result, shown), deployed => PlanOutput.Print(deployed, shown),
                shown.Out.WriteLine, Driver(shown), new ConsoleWaveReporter(shown.Out), ct);
            var exit = 0;
            if (!waves.Several)
            {
                exit = waves.Waves[0].Result is { } outcome ? Ended(outcome, lane, waves.Waves[0].Target.Args, shown) : 0;
            }
            else
            {
                foreach (var wave in waves.Waves.Where(w => w.Result is not null))
                {
                    Ended(wave.Result!, lane, wave.Target.Args, shown);
                }

                exit = WaveOutput.Summary(waves, shown);
            }

            return context.Options.Json(result) ? Documents.Rollout(lane, env, waves, context) : exit;
        });
        return command;
    }

    /// <summary>A live view at a person's terminal, plain lines in pipes and CI.</summary>
    public static RolloutDriver Driver(CliContext context) => run => context.Live
        ? new LiveRolloutReporter().RunAsync(run)
        : run(new PlainRolloutReporter(context.Out));

    /// <summary>Says how a rollout run ended and what to do next; returns its exit code.</summary>
    /// <param name="targetArgs">The arguments that name the target: <c>--env ENV</c>, with <c>--region R</c> for one of several regions.</param>
    public static int Ended(RolloutOutcome outcome, string lane, string targetArgs, CliContext context)
    {
        var receipt = outcome.Receipt is null ? "" : $" (receipt {MatrixSource.Display(outcome.Receipt, context)})";
        switch (outcome.End)
        {
            case RolloutEnd.Succeeded:
                context.Out.WriteLine($"rollout complete{(outcome.Reason is null ? "" : $" — {outcome.Reason}")}: the canary takes 100%; the stable revision drains{receipt}");
                break;
            case RolloutEnd.Paused or RolloutEnd.Held:
                context.Err.WriteLine($"deploymatrix: rollout {UntrustedText.OneLine(outcome.Reason ?? "")}; continue with: deploymatrix rollout resume|promote|abort {lane} {targetArgs}");
                break;
            default:
                context.Err.WriteLine($"deploymatrix: rollout {(outcome.End == RolloutEnd.Aborted ? "aborted" : "failed")} — {UntrustedText.OneLine(outcome.Reason ?? "")}{receipt}");
                break;
        }

        return outcome.ExitCode;
    }
}
