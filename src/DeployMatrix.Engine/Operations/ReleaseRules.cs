using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Releases;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>The rules a change must pass before it runs: the legacy freeze's audited unfreeze, maintenance, and the promotion gate.</summary>
internal static class ReleaseRules
{
    /// <summary>Records an unfreeze before anything runs, so even a failed attempt is on the record.</summary>
    public static void RecordUnfreeze(Workspace ws, Lane lane, string? env, string ticket, string what) =>
        ws.Recorder.Record("unfreeze", lane.Name, env, new Dictionary<string, string?> { ["change_ticket"] = ticket, ["what"] = what }, "allowed");

    /// <summary>
    /// Traffic does not move while a service is in maintenance: what serves after maintenance is the
    /// split from before it (Cloud Run restores it), so a change now would be silently undone.
    /// Migrations and status stay allowed — maintenance is when migrations run.
    /// </summary>
    /// <exception cref="OperationException">The service is in maintenance (exit 1), naming how to end it.</exception>
    public static void RefuseInMaintenance(Workspace ws, ResolvedTarget target, string action)
    {
        if (ws.State.FindMaintenance(target.ServiceScope, target.Service) is { } maintenance)
        {
            throw new OperationException(
                $"{target.Service} ({target.Where}) is in maintenance since {maintenance.Since} (by {maintenance.Actor}); {action} would be undone when it ends — run 'deploymatrix maintenance disable {maintenance.Lane} {target.Args}' first");
        }
    }

    /// <summary>
    /// The promotion rule (<see cref="PromotionRule"/>) for a release (<paramref name="content"/>, tagged
    /// <paramref name="tag"/>) going to <paramref name="target"/>'s environment. Overridden with a reason,
    /// the override is recorded (journal and audit) — once per operation: a tag already overridden by it
    /// passes without a second record.
    /// </summary>
    /// <returns>Whether the tag went through on an override.</returns>
    /// <exception cref="OperationException">The release has no passing gate and no override (exit 1).</exception>
    public static bool RequirePromotion(Workspace ws, ResolvedTarget target, string tag, ReleaseContent? content, string? overrideReason, ISet<string>? overridden = null)
    {
        if (PromotionRule.Check(ws.Matrix, target.Environment, target.Lane, tag, content, ws.State) is not { } refusal)
        {
            return false;
        }

        if (overrideReason is null)
        {
            throw new OperationException(refusal);
        }

        if (overridden?.Add(tag) != false)
        {
            var gate = ws.Matrix.Gate!;
            ws.Recorder.Record("gate-override", target.Lane, target.Scope,
                new Dictionary<string, string?> { ["tag"] = tag, ["reason"] = overrideReason, ["gate"] = $"{gate.From}->{gate.To}", ["digest"] = content?.Digest }, "recorded", detail: $"tag {tag}: {overrideReason}");
        }

        return true;
    }

    /// <summary>The one line a frozen plan fails with, naming the way past it.</summary>
    public static OperationException Refused(Core.Planning.PlanResult planned) =>
        new($"{planned.Error}{(planned.ExitCode == ExitCodes.FrozenLegacy ? " (to proceed anyway: --unfreeze --change-ticket ID)" : "")}", planned.ExitCode);
}
