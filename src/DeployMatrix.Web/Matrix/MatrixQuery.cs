using System.Globalization;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Text;
using DeployMatrix.Engine.Operations;
using DeployMatrix.State;

namespace DeployMatrix.Web.Matrix;

/// <summary>
/// Reads the matrix page: the matrix's lanes and environments, what every platform serves (one <c>status</c> read),
/// and the store's last deploy and rollout per target. A platform that cannot be read marks its cells with the
/// reason instead of failing the page.
/// </summary>
internal static class MatrixQuery
{
    public static async Task<MatrixView> ReadAsync(DashboardSource source, CancellationToken ct)
    {
        using var ws = source.Open();
        var matrix = ws.Matrix;
        var (services, errors) = await ServicesAsync(ws, ct);
        var deploys = LastDeploys(ws.State.AuditRecords());
        var lanes = matrix.Lanes.Select(lane => new LaneRow(
            lane.Name, lane.Description, lane.Kind.ToString().ToLowerInvariant(), lane.Status == LaneStatus.Legacy,
            lane.Kind == LaneKind.Binary ? lane.Run?.ToString() : null,
            [.. matrix.Environments.Select(env => new CellView(env.Name, [.. lane.TargetsIn(env.Name).Select(target =>
            {
                var read = services.FirstOrDefault(s => s.Lane == lane.Name && s.Env == env.Name && s.Region == (target.Regional ? target.Region : null));
                var service = read is { Problem: null } ? read : null;
                var rollout = ws.State.LatestRollout(lane.Name, env.Name) is { } row ? Engine.Rollout.Rollout.From(row, ws.State.Owner) : null;
                return new TargetCell(lane.Name, env.Name, target.Regional ? target.Region : null, target.Service, PlatformNames.Name(ws.PlatformOverride ?? target.Platform),
                    service, service is null ? read?.Problem ?? errors.GetValueOrDefault((lane.Name, env.Name)) : null, deploys.GetValueOrDefault((lane.Name, env.Name)),
                    rollout is null ? null : new RolloutBadge(rollout.Id, rollout.Shown, rollout.Stage, rollout.Finished));
            })]))]));
        return new MatrixView(Path.GetFileName(matrix.SourcePath), [.. matrix.Environments.Select(e => e.Name)], [.. lanes],
            source.Time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Every target's service in one <c>status</c> read (a service missing on Cloud Run comes back with its problem);
    /// when that fails (one platform unreachable), each lane and environment again on its own, so one bad target marks
    /// only its cells.
    /// </summary>
    private static async Task<(List<ServiceView> Services, Dictionary<(string, string), string> Errors)> ServicesAsync(Engine.Workspaces.Workspace ws, CancellationToken ct)
    {
        var errors = new Dictionary<(string, string), string>();
        try
        {
            return ([.. await new StatusOperation(ws).RunAsync(null, null, ct)], errors);
        }
        catch (Exception e) when (Unreadable(e))
        {
        }

        var services = new List<ServiceView>();
        foreach (var lane in ws.Matrix.Lanes.Where(l => l.Status != LaneStatus.Legacy))
        {
            foreach (var env in lane.TargetEnvironments)
            {
                try
                {
                    services.AddRange(await new StatusOperation(ws).RunAsync(lane.Name, env, ct));
                }
                catch (Exception e) when (Unreadable(e))
                {
                    errors[(lane.Name, env)] = UntrustedText.OneLine(e.Message);
                }
            }
        }

        return (services, errors);
    }

    private static bool Unreadable(Exception e) => e is Engine.OperationException or HttpRequestException or IOException;

    /// <summary>An audit time (ISO 8601 with offset) as people read it: <c>2026-12-01 18:20:39Z</c>.</summary>
    internal static string When(string at) =>
        DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : at;

    /// <summary>The newest deploy record per lane and environment (the audit log is in append order).</summary>
    private static Dictionary<(string, string), DeployRecord> LastDeploys(IReadOnlyList<AuditRecord> records)
    {
        var last = new Dictionary<(string, string), DeployRecord>();
        foreach (var r in records)
        {
            if (r.Action == "deploy" && r.Lane is { } lane && r.Env is { } env)
            {
                last[(lane, env)] = new DeployRecord(When(r.At), r.Actor, r.Result, r.Receipt is null ? null : Path.GetFileName(r.Receipt));
            }
        }

        return last;
    }
}
