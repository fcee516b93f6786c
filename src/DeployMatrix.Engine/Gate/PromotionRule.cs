using DeployMatrix.Core.Model;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Gate;

/// <summary>
/// Production cannot receive a tag that did not pass the gate: a deploy to the gate's 'to' environment
/// needs the latest gate run for that tag to be a go, unless an override with a reason is recorded.
/// </summary>
public static class PromotionRule
{
    /// <returns>null when the deploy may go ahead, else why not and the command that fixes it.</returns>
    public static string? Check(Matrix matrix, string environment, string tag, StateStore state, string? overrideReason, string actor, string lane)
    {
        if (matrix.Gate is not { } gate || gate.To != environment)
        {
            return null;
        }

        var latest = state.LatestGate(gate.From, gate.To, tag);
        if (latest is { Go: true })
        {
            return null;
        }

        if (overrideReason is not null)
        {
            state.Journal(actor, lane, environment, "gate-override", null, "recorded", $"tag {tag}: {overrideReason}");
            new Audit.AuditLog(state).Append(actor, "gate-override", lane, environment,
                new Dictionary<string, string?> { ["tag"] = tag, ["reason"] = overrideReason, ["gate"] = $"{gate.From}->{gate.To}" }, "recorded", null);
            return null;
        }

        var why = latest is null ? "has not been through the gate" : $"failed the gate at {latest.At} (evidence: {latest.Evidence})";
        return $"tag {tag} {why} from {gate.From} to {gate.To}; run: deploymatrix gate --from {gate.From} --to {gate.To} --tag {tag} (or pass --override-gate --reason \"…\")";
    }
}
