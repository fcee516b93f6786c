using System.Diagnostics;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Recording;

namespace DeployMatrix.Engine.Telemetry;

/// <summary>
/// The spans the engine emits, through <see cref="System.Diagnostics"/> only: no OpenTelemetry SDK here. With no listener
/// (no exporter configured) <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and every
/// call below does nothing, so a command that exports nothing pays for one null check per step.
/// </summary>
/// <remarks>
/// Spans: <c>deploymatrix COMMAND</c> (the CLI's, one trace per command) ▸ <c>step KIND</c> (one per plan step, e.g.
/// <c>step deploy-revision</c>) and <c>rollout</c> ▸ <c>rollout stage</c> (one per stage). Attribute names are
/// <see cref="Attributes"/>; a step or stage that fails, and a rollout that does not succeed, end with status Error.
/// </remarks>
public static class Tracing
{
    /// <summary>The source name exporters subscribe to (OpenTelemetry's <c>AddSource("DeployMatrix")</c>).</summary>
    public const string SourceName = "DeployMatrix";

    public static readonly ActivitySource Source = new(SourceName, typeof(Tracing).Assembly.GetName().Version?.ToString());

    /// <summary>The attribute names every span uses (the matrix's words, under one namespace).</summary>
    public static class Attributes
    {
        public const string Lane = "deploymatrix.lane";
        public const string Environment = "deploymatrix.environment";
        public const string Region = "deploymatrix.region";
        public const string Service = "deploymatrix.service";
        public const string Revision = "deploymatrix.revision";
        public const string Tag = "deploymatrix.tag";
        public const string Verdict = "deploymatrix.verdict";
        public const string Action = "deploymatrix.action";
        public const string Step = "deploymatrix.step";
        public const string StepIndex = "deploymatrix.step.index";
        public const string StableRevision = "deploymatrix.stable_revision";
        public const string Stage = "deploymatrix.stage.percent";
        public const string RolloutId = "deploymatrix.rollout.id";
        public const string RolloutEnd = "deploymatrix.rollout.end";
        public const string ExitCode = "process.exit.code";
    }

    /// <summary>A span for one step of <paramref name="plan"/> (1-based <paramref name="index"/>); null when nothing listens.</summary>
    public static Activity? StartStep(Plan plan, Step step, int index)
    {
        var activity = Source.StartActivity($"step {step.KindName}");
        if (activity is null)
        {
            return null;
        }

        Target(activity, plan.Lane, plan.Environment, plan.Region, plan.Tag);
        activity.SetTag(Attributes.Action, PlanActions.Name(plan.Action));
        activity.SetTag(Attributes.Step, step.Describe());
        activity.SetTag(Attributes.StepIndex, index);
        return activity;
    }

    /// <summary>Ends a step's span with what it did: the revision it made (if any) and Error with the reason when it failed.</summary>
    public static void EndStep(Activity? activity, StepOutcome outcome, string? revision)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(Attributes.Revision, revision);
        if (!outcome.Ok)
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome.Cancelled ? "cancelled" : FirstLine(outcome.Detail));
        }
    }

    /// <summary>Sets lane, environment, region and tag on <paramref name="activity"/> (null values are left out).</summary>
    public static void Target(Activity activity, string lane, string? environment, string? region, string? tag)
    {
        activity.SetTag(Attributes.Lane, lane);
        activity.SetTag(Attributes.Environment, environment);
        activity.SetTag(Attributes.Region, region);
        activity.SetTag(Attributes.Tag, tag);
    }

    /// <summary>Status descriptions are one line: a failed verify check's detail carries its log's tail below the first.</summary>
    internal static string? FirstLine(string? text) => text?.Split('\n', 2)[0];
}
