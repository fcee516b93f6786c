using System.Globalization;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Gate;

/// <summary>
/// The gate's <c>http</c> checks of a lane, run against its canary alone at a rollout's 0% stage when the lane's
/// rollout says <c>gate-checks: true</c> (Argo Rollouts' pre-promotion analysis; issue "every revision is checked
/// before it takes traffic"). Each check keeps its method, path, expected status, body and header, and token,
/// but goes to the canary's own URL in the rollout's environment. Logs go to
/// <c>.deploymatrix/evidence/canary/TIMESTAMP-LANE-ENV/logs/</c>; no gate verdict is recorded.
/// </summary>
public static class CanaryGateChecks
{
    /// <summary>The checks for <paramref name="target"/>'s canaries: none unless its rollout policy asks for them.</summary>
    public static IReadOnlyList<GateCheck> Of(Matrix matrix, ResolvedTarget target) =>
        !target.Rollout.GateChecks
            ? []
            : [.. (matrix.Gate?.Checks ?? [])
                .Where(c => c.Spec is HttpCheckSpec { Endpoint.Lane: { } lane } && lane == target.Lane)
                .Select(c => c with { Spec = (HttpCheckSpec)c.Spec with { Endpoint = ((HttpCheckSpec)c.Spec).Endpoint with { Env = target.Environment, Region = target.Regional ? target.Region : null } } })];

    /// <summary>What a rollout's 0% stage runs after the smoke checks (<see cref="Rollout.RolloutRequest.CanaryChecks"/>), or null when the lane has none.</summary>
    internal static Func<string, CancellationToken, Task<string?>>? For(Workspace ws, IPlatform platform, ResolvedTarget target)
    {
        var checks = Of(ws.Matrix, target);
        if (checks.Count == 0)
        {
            return null;
        }

        return async (canary, ct) =>
        {
            var services = GateServices.Of(ws, platform) with
            {
                RevisionOf = checkedTarget => checkedTarget.Lane == target.Lane && checkedTarget.Scope == target.Scope ? canary : null,
            };
            var stem = $"{ws.Time.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}-{target.Lane}-{target.Scope}";
            var dir = RunFolder.Create(Path.Combine(ws.Paths.Evidence, "canary"), stem);
            var results = await new GateRunner(services, ws.Time).RunChecksAsync(checks, dir, ct);
            var failed = results.Where(r => r.Required && r.Status != CheckStatus.Passed).ToList();
            return failed.Count == 0
                ? null
                : $"canary {canary} failed the gate's check{(failed.Count > 1 ? "s" : "")} on its own URL before taking traffic: "
                  + string.Join("; ", failed.Select(r => $"{r.CheckId} {r.Status}: {r.Reason}")) + $" (logs: {Path.Combine(dir, "logs")})";
        };
    }
}
