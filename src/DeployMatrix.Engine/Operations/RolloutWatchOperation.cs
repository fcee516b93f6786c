using System.Globalization;
using System.Text.Json;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>One target's latest rollout, for a list of every lane's.</summary>
/// <param name="Region">The target's region where the lane runs in several in the environment; null otherwise.</param>
public sealed record RolloutSummary(string Lane, string Env, string? Region, Rollout.Rollout Rollout);

/// <summary>What a rollout's stage recorded, from the audit log: when, the stage, its verdict and its words (numbers included).</summary>
/// <param name="At">When it was recorded (ISO 8601 UTC, as the audit log has it).</param>
/// <param name="Percent">The stage's canary weight (0..100 %); null for the rollout's end.</param>
/// <param name="Verdict">pass, fail, inconclusive, paused, held, succeeded, failed, aborted; or note (traffic set, resumed…).</param>
public sealed record RolloutStageRecord(string At, int? Percent, string Verdict, string Detail);

/// <summary>
/// A rollout as a watcher sees it now: the status <c>rollout status</c> shows, every stage record, when the
/// current stage's window ends, and each revision's cumulative counters as the platform reports them.
/// </summary>
/// <param name="WindowEnds">When the running stage's analysis window ends (its split was set at the rollout's last
/// update, plus the window); null when no window runs (0% and 100% stages, or not running). An inconclusive window
/// is extended past it.</param>
/// <param name="Metrics">Cumulative counters per revision name (<see cref="IPlatform.GetRevisionMetricsAsync"/>); empty when unreadable.</param>
/// <param name="MetricsError">Why the metrics could not be read (one line), or null.</param>
public sealed record RolloutWatchView(Rollout.Rollout Rollout, ResolvedTarget Target, IReadOnlyList<TrafficAssignment> Traffic, string? Next,
    IReadOnlyList<RolloutStageRecord> Records, DateTimeOffset? WindowEnds, IReadOnlyDictionary<string, RevisionSample> Metrics, string? MetricsError,
    DateTimeOffset ReadAt);

/// <summary>
/// Reads rollouts for a live view (the dashboard): every target's latest one, and one rollout with its split, stage
/// records and the platform's metrics. Reads only; stepping in is <see cref="RolloutControlOperation"/>'s.
/// </summary>
public sealed class RolloutWatchOperation(Workspace ws)
{
    /// <summary>Every lane's latest rollout per environment (and region), running ones first, then the most recently updated.</summary>
    public IReadOnlyList<RolloutSummary> List()
    {
        var found = new List<RolloutSummary>();
        foreach (var lane in ws.Matrix.Lanes.Where(l => l.Kind != LaneKind.Binary))
        {
            foreach (var target in lane.Targets)
            {
                // Keyed as TargetRef.Scope keys state rows: the environment, or ENV@REGION for one of several regions.
                var scope = target.Regional ? $"{target.Environment}@{target.Region}" : target.Environment;
                if (ws.State.LatestRollout(lane.Name, scope) is { } row)
                {
                    found.Add(new RolloutSummary(lane.Name, target.Environment, target.Regional ? target.Region : null, Rollout.Rollout.From(row, ws.State.Owner)));
                }
            }
        }

        return [.. found.OrderBy(s => s.Rollout.State == Rollout.RolloutState.Running ? 0 : 1).ThenByDescending(s => s.Rollout.Row.UpdatedAt, StringComparer.Ordinal)];
    }

    /// <summary>The target's latest rollout as it stands now; metrics a platform cannot give are left out with the reason.</summary>
    /// <exception cref="OperationException">No such lane or environment, or no rollout of it yet.</exception>
    /// <exception cref="PlatformException">The platform's service could not be read.</exception>
    public async Task<RolloutWatchView> ReadAsync(string lane, string env, string? region, CancellationToken ct)
    {
        var target = ws.Resolve(lane, env, region);
        var (rollout, traffic, next) = await new RolloutControlOperation(ws) { Region = region }.StatusAsync(lane, env, ct);
        var now = ws.Time.GetUtcNow();
        IReadOnlyDictionary<string, RevisionSample> metrics = new Dictionary<string, RevisionSample>(StringComparer.Ordinal);
        string? error = null;
        try
        {
            var platform = await ws.Platforms.OpenAsync(target.Platform, ct);
            metrics = await platform.GetRevisionMetricsAsync(target, platform.MetricsCadence.VisibleUntil(now), ct);
        }
        catch (Exception e) when (e is PlatformException or HttpRequestException or IOException)
        {
            error = Core.Text.UntrustedText.OneLine(e.Message);
        }

        return new RolloutWatchView(rollout, target, traffic, next, Records(rollout), WindowEnds(rollout), metrics, error, now);
    }

    /// <summary>
    /// The running stage's window end: the rollout row is updated as a stage's split is set (before it moves), and
    /// the window runs from there (<see cref="Rollout.StageAnalysis"/>); 0% and 100% stages have no window.
    /// </summary>
    public static DateTimeOffset? WindowEnds(Rollout.Rollout rollout) =>
        rollout.State == Rollout.RolloutState.Running && !rollout.Interrupted && rollout.Stage is > 0 and < 100
            && DateTimeOffset.TryParse(rollout.Row.UpdatedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var set)
            ? set + rollout.Window
            : null;

    /// <summary>
    /// The rollout's audit records, oldest first: its stages' (<c>rollout-stage</c>, written by
    /// <see cref="Rollout.RolloutRunner"/> with the stage, stable and canary) from its start on, and its end's or stop's
    /// (<c>rollout</c>, <c>rollout-held</c>, naming its id).
    /// </summary>
    private List<RolloutStageRecord> Records(Rollout.Rollout rollout)
    {
        var started = Parse(rollout.Row.StartedAt);
        var records = new List<RolloutStageRecord>();
        foreach (var record in ws.State.AuditRecords())
        {
            if (record.Lane != rollout.Lane || record.Env != rollout.Env || !record.Action.StartsWith("rollout", StringComparison.Ordinal) || Parse(record.At) < started)
            {
                continue;
            }

            var inputs = Inputs(record.Inputs);
            if (record.Action == "rollout-stage" && inputs.GetValueOrDefault("canary") == rollout.Canary && inputs.GetValueOrDefault("stable") == rollout.Stable)
            {
                var percent = int.TryParse(inputs.GetValueOrDefault("stage")?.Replace("stage ", "", StringComparison.Ordinal).TrimEnd('%'),
                    NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : (int?)null;
                records.Add(new RolloutStageRecord(record.At, percent, VerdictOf(record.Result), record.Result));
            }
            else if (record.Action is "rollout" or "rollout-held" && inputs.GetValueOrDefault("rollout") == rollout.Id.ToString(CultureInfo.InvariantCulture))
            {
                records.Add(new RolloutStageRecord(record.At, null, VerdictOf(record.Result), record.Result));
            }
        }

        return records;
    }

    /// <summary>The verdict a record's result starts with (<c>pass: …</c>, <c>aborted: …</c>), else <c>note</c>.</summary>
    internal static string VerdictOf(string result)
    {
        var word = result.Split(':', ' ')[0];
        return word is "pass" or "fail" or "inconclusive" or "paused" or "held" or "succeeded" or "failed" or "aborted" ? word : "note";
    }

    private static DateTimeOffset Parse(string at) =>
        DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.MinValue;

    private static Dictionary<string, string?> Inputs(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string?>>(json) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
