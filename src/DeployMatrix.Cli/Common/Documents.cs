using System.CommandLine;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Rollout;
using DeployMatrix.Engine.Waves;

namespace DeployMatrix.Cli.Common;

/// <summary>
/// The final documents of the commands whose text is a stream of steps (deploy, traffic, rollback, migrate,
/// rollout): under --output json the stream goes to stderr (<see cref="Documents.Shown"/>) and stdout gets one
/// document saying how it ended — each wave's steps with their outcome, notes, receipt and error, and the exit code.
/// </summary>
internal static class Documents
{
    /// <summary>
    /// The context a command prints its text through: itself, or under --output json the same with stdout
    /// swapped for stderr (and no live view), so stdout carries only the document.
    /// </summary>
    public static CliContext Shown(ParseResult result, CliContext context) =>
        context.Options.Json(result) ? context with { Out = context.Err, Live = false, Color = false } : context;

    /// <summary>Writes <c>deploymatrix.result.v1</c> for a change over an environment's regions; returns its exit code.</summary>
    public static int Result(string command, string lane, string env, WavesResult<ExecutionResult> waves, CliContext context)
    {
        Json.Write(context.Out, "result", new
        {
            Command = command,
            Lane = lane,
            Environment = env,
            Order = WaveOrders.Name(waves.Order),
            waves.Ok,
            waves.ExitCode,
            Error = waves.Ok ? null : waves.Several ? waves.Summary : waves.Waves.Select(w => w.Error ?? w.Result?.Error).FirstOrDefault(e => e is not null),
            Waves = waves.Waves.Select(w => new
            {
                w.Index,
                w.Target.Region,
                w.Status,
                w.ExitCode,
                Error = w.Error ?? w.Result?.Error,
                Steps = (w.Result?.Steps ?? []).Select(Step),
                Notes = w.Result?.Notes ?? [],
                Receipt = w.Result?.ReceiptPath is { } receipt ? MatrixSource.Display(receipt, context) : null,
            }),
        });
        return waves.ExitCode;
    }

    /// <summary>Writes <c>deploymatrix.rollout.v1</c>: each wave's rollout, how it ended and its stages' verdicts; returns its exit code.</summary>
    public static int Rollout(string lane, string env, WavesResult<RolloutOutcome?> waves, CliContext context) =>
        Rollout(lane, env, waves.Ok, waves.ExitCode, waves.Several ? waves.Summary : null,
            waves.Waves.Select(w => (w.Index, w.Target.Region, w.Status, w.ExitCode, w.Error, w.Result)), context);

    /// <summary>Writes <c>deploymatrix.rollout.v1</c> for one rollout run (<c>rollout resume</c>): one wave.</summary>
    public static int Rollout(string lane, string env, string? region, RolloutOutcome outcome, CliContext context) =>
        Rollout(lane, env, outcome.Succeeded, outcome.ExitCode, null,
            [(1, region, outcome.Succeeded ? WaveStatus.Succeeded : WaveStatus.Failed, outcome.ExitCode, null, outcome)], context);

    private static int Rollout(string lane, string env, bool ok, int exitCode, string? summary,
        IEnumerable<(int Index, string? Region, WaveStatus Status, int ExitCode, string? Error, RolloutOutcome? Result)> waves, CliContext context)
    {
        var shown = waves.Select(w => new
        {
            w.Index,
            w.Region,
            w.Status,
            w.ExitCode,
            Error = w.Error ?? (w.Result is { Succeeded: false } failed ? failed.Reason ?? failed.End.ToString().ToLowerInvariant() : null),
            Rollout = w.Result is { } r
                ? new { r.Id, r.End, r.Reason, Stages = r.Stages.Select(s => new { s.Percent, s.Verdict, s.Explanation }), Receipt = r.Receipt is null ? null : MatrixSource.Display(r.Receipt, context) }
                : null,
        }).ToList();
        Json.Write(context.Out, "rollout", new
        {
            Lane = lane,
            Environment = env,
            Ok = ok,
            ExitCode = exitCode,
            Error = ok ? null : summary ?? shown.FirstOrDefault(w => w.Error is not null)?.Error,
            Waves = shown,
        });
        return exitCode;
    }

    private static object Step(StepOutcome s) => new
    {
        s.Index,
        s.Kind,
        s.Description,
        Outcome = s.Ok ? "ok" : s.Cancelled ? "cancelled" : "failed",
        s.Detail,
        s.StartedAt,
        s.EndedAt,
    };
}
