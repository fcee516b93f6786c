using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Execution;

/// <summary>What earlier steps of a plan learned that later steps need, and what the plan acts on.</summary>
public sealed class StepContext(Plan plan)
{
    public Plan Plan { get; } = plan;

    /// <summary>The plan's target as resolved; what platform calls take.</summary>
    public ResolvedTarget Target => Plan.Target ?? throw new InvalidOperationException($"a {PlanActions.Name(Plan.Action)} plan has no target");

    /// <summary>How the plan's job executions wait for another and end on cancel.</summary>
    public JobRun JobRun { get; init; } = JobRun.Default;

    /// <summary>The digest the plan's tag is bound to (<c>sha256:…</c>), which a new revision must run; null when unknown.</summary>
    public string? BoundDigest { get; init; }

    /// <summary>The revision this plan's deploy step created.</summary>
    public string? NewRevision { get; set; }

    /// <summary>The service's current image, read for the migrate rerun helper.</summary>
    public string? ResolvedImage { get; set; }

    public string? ReceiptPath { get; set; }

    /// <summary>The stable revision the state store recorded for the target when the plan started (see <see cref="StableRevision"/>).</summary>
    public string? RecordedStable { get; set; }

    /// <summary>
    /// Called by a step that is about to move traffic, with the split before it: a change begins, so the
    /// revision holding all traffic becomes the recorded stable revision. A rollback does not call it.
    /// </summary>
    public Action<IReadOnlyList<TrafficAssignment>> ChangeBegins { get; set; } = _ => { };

    /// <summary>Facts for the receipt (revision, images, traffic before and after, drift, …).</summary>
    public Dictionary<string, string> Facts { get; } = new(StringComparer.Ordinal);

    /// <summary>Each smoke check's request and answer, in order, for the receipt and the deploy report.</summary>
    public List<SmokeAnswer> Smoke { get; } = [];

    /// <summary>Records a smoke check's answer, the target's variable values (which may be secrets) masked in its body.</summary>
    public void RecordSmoke(SmokeAnswer answer)
    {
        var redactor = new Gate.Redactor();
        foreach (var value in Target.Env.Values)
        {
            redactor.Add(value);
        }

        Smoke.Add(answer with { Body = Core.Text.UntrustedText.OneLine(redactor.Apply(answer.Body)) });
    }

    /// <summary>Service URLs already read (by service name), so a plan reads each once.</summary>
    public Dictionary<string, string> ServiceUrls { get; } = new(StringComparer.Ordinal);

    /// <summary>Plan images resolved to exact images (a platform may pin a tag to a digest).</summary>
    public Dictionary<string, string> Images { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether this plan is a change that begins now (deploy, traffic), rather than a return to stable (rollback) or none.</summary>
    public bool BeginsAChange => Plan.Action is PlanAction.Deploy or PlanAction.SetTraffic;

    /// <summary>Where a rollback with no revision named sends all traffic (<see cref="StableRevision.RollbackTarget"/>).</summary>
    /// <exception cref="PlatformException">Nothing to roll back to, or the rollback would change nothing (exit 1), naming the revisions <c>--to</c> could take.</exception>
    public string RollbackTarget(IReadOnlyList<TrafficAssignment> traffic, IReadOnlyList<RevisionInfo> revisions)
    {
        var (revision, refusal) = StableRevision.RollbackTarget(Target.Service, RecordedStable, traffic, revisions);
        return revision ?? throw new PlatformException(refusal!);
    }

    /// <summary>The stable revision of the service as it stands (<see cref="StableRevision.Of"/>).</summary>
    public string? StableOf(IReadOnlyList<TrafficAssignment> traffic, IReadOnlyList<RevisionInfo> revisions) =>
        StableRevision.Of(RecordedStable, traffic, revisions);
}
