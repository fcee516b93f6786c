using System.Globalization;
using DeployMatrix.Core;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Drill;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>A finished drill: its steps and where its report is.</summary>
public sealed record DrillRun(DrillResult Result, string Directory);

/// <summary>
/// <c>drill canary</c>: the seed's canary drill on the lane's target — traffic shifted from the stable
/// revision to the latest ready one step by step, then rolled back — with its report, holding the lock.
/// </summary>
public sealed class DrillOperation(Workspace ws)
{
    /// <summary>The region whose service is drilled (<c>--region</c>), where the lane runs in several in the environment; null otherwise.</summary>
    public string? Region { get; init; }

    /// <summary>
    /// <c>--dry-run</c>: the whole report, every step with the command it would run, in the folder a drill
    /// would use — and nothing else: no platform is opened, no lock taken, nothing journaled or audited.
    /// The lane and environment are checked all the same.
    /// </summary>
    /// <param name="outDir">The report's folder; null: <c>.deploymatrix/drills/TIMESTAMP/</c>.</param>
    public DrillRun DryRun(string lane, string env, IReadOnlyList<int> percents, string? outDir)
    {
        var target = ws.Resolve(lane, env, Region);
        if (outDir is not null)
        {
            RefuseLinks(outDir);
        }

        // The revision a rollback would return to, as far as this folder's state knows without asking the platform.
        var stable = ws.RecordedStable(target) is { } recorded ? RevisionRef.Named(recorded) : RevisionRef.Stable;
        var dir = outDir ?? NewFolder();
        var result = DrillDryRun.Write(target, stable, percents, dir, ws.Time.GetUtcNow());
        DrillReport.Write(dir, target.Ref, result, ws.Time.GetUtcNow());
        return new DrillRun(result, dir);
    }

    /// <param name="outDir">The report's folder; null: <c>.deploymatrix/drills/TIMESTAMP/</c>.</param>
    /// <param name="say">Lines for people as the drill starts.</param>
    public async Task<DrillRun> RunAsync(string lane, string env, IReadOnlyList<int> percents, TimeSpan dwell, string? outDir, Action<string> say, CancellationToken ct)
    {
        var target = ws.Resolve(lane, env, Region);
        if (outDir is not null)
        {
            RefuseLinks(outDir);
        }

        var platform = await ws.Platforms.OpenAsync(target.Platform, ct);
        using var held = await ws.Locks.AcquireAsync(lane, target.Scope, "drill", ct);
        ReleaseRules.RefuseInMaintenance(ws, target, "a drill");
        var service = await platform.GetServiceAsync(target, ct);
        ws.ChangeBegins(target, service.Traffic);
        var stable = ws.StableOf(target, service)
            ?? throw new OperationException($"{target.Service} has no revision serving traffic in {env}; a drill needs a stable revision");
        var canary = service.LatestReadyRevision is { } latest && latest != stable
            ? latest
            : throw new OperationException($"{target.Service} has no ready canary besides {stable}; deploy one with: deploymatrix deploy {lane} --env {env} --no-traffic");
        var dir = outDir ?? NewFolder();
        say($"drill canary {lane} ({env}): stable {stable}, canary {canary}");
        var result = await new DrillRunner(platform, ws.Time).RunAsync(target, stable, canary, percents, dwell, dir, ct);
        DrillReport.Write(dir, target.Ref, result, ws.Time.GetUtcNow());
        ws.Recorder.Record("drill", lane, target.Scope,
            new Dictionary<string, string?> { ["stable"] = stable, ["canary"] = canary, ["steps"] = string.Join(',', percents) },
            result.Passed ? "pass" : "fail", Path.Combine(dir, "summary.json"));
        return new DrillRun(result, dir);
    }

    private string NewFolder() => RunFolder.Create(ws.Paths.Drills, ws.Time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture));

    /// <summary>Refused before anything changes: a linked report folder would put the report wherever it points.</summary>
    private static void RefuseLinks(string outDir)
    {
        foreach (var folder in new[] { outDir, Path.Combine(outDir, "logs") })
        {
            if (new DirectoryInfo(folder).LinkTarget is not null)
            {
                throw new OperationException($"--out: {folder} is a symbolic link; give a real folder for the drill's report", ExitCodes.BadInput);
            }
        }
    }
}
