using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Git;

namespace DeployMatrix.Cli.Local;

/// <summary>A lane's target with everything needed to act on it.</summary>
internal sealed record TargetScope(Matrix Matrix, Lane Lane, TargetRef Target, LocalSession Session, Engine.Platform.IPlatform Platform);

/// <summary>The shared path of every mutating command: plan, lock the target, execute, report.</summary>
internal static class Execute
{
    /// <param name="gateOverride">With a reason, a deploy to the gate's target environment may skip the gate; the override is journaled.</param>
    /// <param name="changeTicket">Set when the caller unfroze legacy lanes (--unfreeze --change-ticket); audited before anything runs.</param>
    public static async Task<int> PlanAndRunAsync(ParseResult result, CliContext context, Func<Matrix, PlanRequest> request, CancellationToken ct, string? gateOverride = null, string? changeTicket = null)
    {
        var matrix = MatrixSource.LoadValid(result, context);
        if (matrix is null)
        {
            return ExitCodes.BadInput;
        }

        var planned = Planner.Plan(matrix, request(matrix) with { Platform = ExecutionOptions.PlatformOf(result), Unfreeze = changeTicket is not null });
        if (planned.Plan is not { } plan)
        {
            context.Err.WriteLine($"deploymatrix: {planned.Error}{(planned.ExitCode == ExitCodes.FrozenLegacy ? " (to proceed anyway: --unfreeze --change-ticket ID)" : "")}");
            return planned.ExitCode;
        }

        using var session = LocalSession.Open(matrix, context);
        if (changeTicket is not null && matrix.FindLane(plan.Lane) is { Status: LaneStatus.Legacy } legacy)
        {
            FreezeOptions.Audit(session, legacy, plan.Environment, changeTicket, $"{PlanActions.Name(plan.Action)} of legacy lane {legacy.Name}");
        }

        if (plan.Action is PlanAction.Deploy or PlanAction.SetTraffic or PlanAction.Rollback && plan.Steps.OfType<TargetStep>().FirstOrDefault() is { } first)
        {
            RefuseInMaintenance(session, first.Target, PlanActions.Name(plan.Action));
        }

        if (plan.Action == PlanAction.Deploy
            && PromotionRule.Check(matrix, plan.Environment!, plan.Tag!, session.State, gateOverride, LocalSession.Actor, plan.Lane) is { } refusal)
        {
            throw new CommandFailure(refusal, ExitCodes.Failed);
        }

        var executor = await session.ExecutorAsync(plan.Platform ?? PlatformKind.Local, ExecutionOptions.UsesGcloud(result, context), ct);
        var wait = TimeSpan.FromSeconds(result.GetValue(ExecutionOptions.LockWait));
        return await session.WithLockAsync(plan.Lane, plan.Environment!, PlanActions.Name(plan.Action), wait, async () =>
        {
            var outcome = await executor.RunAsync(plan, LocalSession.Actor, ct);
            if (outcome.ReceiptPath is { } receipt)
            {
                context.Out.WriteLine($"receipt: {MatrixSource.Display(receipt, context)}");
            }

            if (!outcome.Ok)
            {
                context.Err.WriteLine($"deploymatrix: {outcome.Error}");
            }

            return outcome.ExitCode;
        });
    }

    /// <summary>
    /// For commands that drive a target directly (rollout, drill): loads the matrix, resolves the lane's
    /// target, opens the session and platform, and runs <paramref name="work"/> holding the target's lock.
    /// </summary>
    /// <param name="locked">False for commands that only read, or only leave a request for the process holding the lock.</param>
    public static async Task<int> WithTargetAsync(ParseResult result, CliContext context, string lane, string env, string action, Func<TargetScope, Task<int>> work, CancellationToken ct, bool locked = true)
    {
        var matrix = MatrixSource.LoadValid(result, context);
        if (matrix is null)
        {
            return ExitCodes.BadInput;
        }

        var planned = Planner.Plan(matrix, new PlanRequest { Lane = lane, Environment = env, Action = PlanAction.Status, Platform = ExecutionOptions.PlatformOf(result) });
        if (planned.Plan is not { } plan)
        {
            context.Err.WriteLine($"deploymatrix: {planned.Error}");
            return planned.ExitCode;
        }

        using var session = LocalSession.Open(matrix, context);
        var platform = await session.PlatformAsync(plan.Platform ?? PlatformKind.Local, ct);
        var wait = TimeSpan.FromSeconds(result.GetValue(ExecutionOptions.LockWait));
        var scope = new TargetScope(matrix, matrix.FindLane(lane)!, ((DescribeStatus)plan.Steps[0]).Target, session, platform);
        return locked ? await session.WithLockAsync(lane, env, action, wait, () => work(scope)) : await work(scope);
    }

    /// <summary>
    /// Traffic does not move while a service is in maintenance: what serves after maintenance is the
    /// split from before it (Cloud Run restores it), so a change now would be silently undone.
    /// Migrations and status stay allowed — maintenance is when migrations run.
    /// </summary>
    public static void RefuseInMaintenance(LocalSession session, TargetRef target, string action)
    {
        if (session.State.FindMaintenance(target.Environment, target.Service) is { } maintenance)
        {
            throw new CommandFailure(
                $"{target.Service} ({target.Environment}) is in maintenance since {maintenance.Since} (by {maintenance.Actor}); {action} would be undone when it ends — run 'deploymatrix maintenance disable {maintenance.Lane} --env {target.Environment}' first",
                ExitCodes.Failed);
        }
    }

    /// <summary>The tag when none is given: the short SHA of HEAD, marked "-dirty" when the tree has changes.</summary>
    public static string? DefaultTag(Matrix matrix, bool refuseDirty)
    {
        if (GitInfo.ShortHead(matrix.BaseDirectory) is not { } sha)
        {
            return null;
        }

        if (GitInfo.IsDirty(matrix.BaseDirectory) != true)
        {
            return sha;
        }

        return refuseDirty
            ? throw new UsageException($"the work tree has uncommitted changes, so HEAD ({sha}) does not describe what would be built; commit them, pass --tag TAG, or pass --allow-dirty (tag {sha}-dirty)")
            : $"{sha}-dirty";
    }

    public static string? ValidTag(string? tag) =>
        tag is not null && ImageTags.Validate(tag) is { } error ? throw new UsageException(error) : tag;
}
