using System.Diagnostics;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Engine.Telemetry;

namespace DeployMatrix.Engine.Rollout;

/// <summary>The rollout's spans (see <see cref="Tracing"/>): <c>rollout</c> per run, <c>rollout stage</c> per stage; null when nothing listens.</summary>
internal static class RolloutSpans
{
    /// <summary>A span for one process's run of a rollout (started, resumed or acted on); null when nothing listens.</summary>
    public static Activity? StartRollout(long id, RolloutRequest request)
    {
        var activity = Tracing.Source.StartActivity("rollout");
        if (activity is null)
        {
            return null;
        }

        Target(activity, request);
        activity.SetTag(Tracing.Attributes.RolloutId, id);
        activity.SetTag(Tracing.Attributes.StableRevision, request.Stable);
        return activity;
    }

    /// <summary>Records how the rollout ended; anything but success (failed, rolled back, aborted, paused) is status Error.</summary>
    public static RolloutOutcome EndRollout(Activity? activity, RolloutOutcome outcome)
    {
        if (activity is not null)
        {
            activity.SetTag(Tracing.Attributes.RolloutEnd, outcome.End.ToString().ToLowerInvariant());
            if (!outcome.Succeeded)
            {
                activity.SetStatus(ActivityStatusCode.Error, outcome.Reason);
            }
        }

        return outcome;
    }

    /// <summary>A span for one stage of a rollout (its split, window and verdict); null when nothing listens.</summary>
    public static Activity? StartStage(RolloutRequest request, int percent)
    {
        var activity = Tracing.Source.StartActivity("rollout stage");
        if (activity is null)
        {
            return null;
        }

        Target(activity, request);
        activity.SetTag(Tracing.Attributes.StableRevision, request.Stable);
        activity.SetTag(Tracing.Attributes.Stage, percent);
        return activity;
    }

    /// <summary>The rollout's target, with the canary as the revision.</summary>
    private static void Target(Activity activity, RolloutRequest request)
    {
        var target = request.Target;
        Tracing.Target(activity, target.Lane, target.Environment, target.Regional ? target.Region : null, request.Tag);
        activity.SetTag(Tracing.Attributes.Revision, request.Canary);
    }

    /// <summary>Records a stage's verdict; Fail and Inconclusive end the stage's span with status Error.</summary>
    public static void StageVerdict(Activity? activity, Verdict verdict, string explanation)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(Tracing.Attributes.Verdict, verdict.ToString().ToLowerInvariant());
        if (verdict != Verdict.Pass)
        {
            activity.SetStatus(ActivityStatusCode.Error, Tracing.FirstLine(explanation));
        }
    }

}
