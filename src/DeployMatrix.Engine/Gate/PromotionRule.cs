using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Releases;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Gate;

/// <summary>
/// Production receives only what the gate approved: a deploy (or a rollout) of a lane to the gate's 'to'
/// environment needs the latest gate run for the tag to be a go that was not voided by a re-tag, that
/// checked this lane, and whose checked content is the content being promoted — compared by digest,
/// so a tag that names other content than staging ran is refused whatever it is called. A lane that skips the
/// 'from' environment needs only the tag's GO (not voided): there is nothing of it there to check. A person may
/// override it with a reason, which the operation records once.
/// </summary>
public static class PromotionRule
{
    /// <param name="content">What would reach <paramref name="environment"/>; null when the tag names nothing on that platform.</param>
    /// <returns>null when the release may go to <paramref name="environment"/>, else why not and the command that fixes it.</returns>
    public static string? Check(Matrix matrix, string environment, string lane, string tag, ReleaseContent? content, StateStore state)
    {
        if (matrix.Gate is not { } gate || gate.To != environment)
        {
            return null;
        }

        var rerun = $"run: deploymatrix gate --from {gate.From} --to {gate.To} --tag {tag} (or pass --override-gate --reason \"…\")";
        var latest = state.LatestGate(gate.From, gate.To, tag);
        if (latest is not { Go: true })
        {
            var why = latest is null ? "has not been through the gate" : $"failed the gate at {latest.At} (evidence: {latest.Evidence})";
            return $"tag {tag} {why} from {gate.From} to {gate.To}; {rerun}";
        }

        if (latest.Voided is { } voided)
        {
            return $"the gate's GO for tag {tag} ({latest.At}) was voided: {voided}; {rerun}";
        }

        // A lane that skips the 'from' environment has nothing there to check or compare: the gate's GO for the tag
        // is what it needs (the gate still gates the tag).
        if (matrix.FindLane(lane) is { } skipping && skipping.FindTarget(gate.From) is null)
        {
            return null;
        }

        var checkedRelease = state.GateReleases(latest.Id).FirstOrDefault(r => r.Lane == lane);
        if (checkedRelease is null)
        {
            return $"the gate's GO for tag {tag} ({latest.At}) did not check lane {lane}: no check of the gate names it in {gate.From}; add one to the matrix's gate and run it again, or pass --override-gate --reason \"…\"";
        }

        if (content is null)
        {
            return $"tag {tag} of lane {lane} names nothing on this platform, so it cannot be compared with what the gate approved ({checkedRelease.Digest ?? checkedRelease.Image}); build it first";
        }

        return content.SameAs(checkedRelease.Digest, checkedRelease.Image)
            ? null
            : $"tag {tag} of lane {lane} names {content}, but the gate approved {checkedRelease.Digest ?? checkedRelease.Image} ({checkedRelease.Revision} in {gate.From}, evidence: {latest.Evidence}); only what ran in {gate.From} is promoted — {rerun}";
    }
}
