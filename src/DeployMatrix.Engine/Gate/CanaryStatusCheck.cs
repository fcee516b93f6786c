using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Rollout;

namespace DeployMatrix.Engine.Gate;

/// <summary>The latest rollout of the lane in the environment must have succeeded (none at all passes): failed, aborted, held, paused, interrupted or still running is a no-go.</summary>
internal sealed class CanaryStatusCheck : IGateCheck
{
    public string CommandOf(CheckSpec spec) => spec is LaneCheckSpec l ? $"deploymatrix status {l.Lane} {l.Args}" : spec.Type;

    public Task<string> RunAsync(CheckSpec check, CheckContext context, CancellationToken ct)
    {
        var spec = (LaneCheckSpec)check;
        var latest = context.LatestRollout(context.TargetOf(spec.Lane, spec.Env, spec.Region));
        context.Log(latest is null
            ? $"no rollout of {spec.Lane} in {spec.Where} recorded"
            : $"latest rollout #{latest.Id}: {latest.Stable} → {latest.Canary}, {latest.Shown} at {latest.Stage}% ({latest.Reason}), updated {latest.Row.UpdatedAt}");
        return latest?.State switch
        {
            null => Task.FromResult($"no rollout of {spec.Lane} in {spec.Where} yet"),
            RolloutState.Succeeded => Task.FromResult($"latest rollout succeeded at {latest.Stage}%"),
            _ => throw new CheckFailed($"the latest rollout of {spec.Lane} in {spec.Where} is {latest.Shown} at {latest.Stage}%{(latest.Reason is null ? "" : $": {latest.Reason}")}"),
        };
    }
}
