using DeployMatrix.Core.Model;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Gate;

/// <summary>
/// Production cannot receive a tag that did not pass the gate: a deploy (or a rollout) to the gate's
/// 'to' environment needs the latest gate run for that tag to be a go, unless a person overrides it
/// with a reason, which the operation records once.
/// </summary>
public static class PromotionRule
{
    /// <returns>null when the tag may go to <paramref name="environment"/>, else why not and the command that fixes it.</returns>
    public static string? Check(Matrix matrix, string environment, string tag, StateStore state)
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

        var why = latest is null ? "has not been through the gate" : $"failed the gate at {latest.At} (evidence: {latest.Evidence})";
        return $"tag {tag} {why} from {gate.From} to {gate.To}; run: deploymatrix gate --from {gate.From} --to {gate.To} --tag {tag} (or pass --override-gate --reason \"…\")";
    }
}
