using System.Globalization;
using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Rehearsal;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>A finished rehearsal and where its report is.</summary>
public sealed record RehearsalRun(RehearsalResult Result, string Directory);

/// <summary>
/// <c>rehearse LANE --tag TAG</c>: the candidate's migration and rollout rehearsed against the release an environment
/// runs today, on a scratch local platform with a copy of that environment's data (<see cref="RehearsalRunner"/>).
/// The environment itself is only read: its state, services, traffic and locks stay as they are, and the one thing
/// written to the workspace is the rehearsal's audit record (with its receipt), which the gate's <c>rehearsal</c>
/// check and production rollouts read.
/// </summary>
public sealed class RehearseOperation(Workspace ws)
{
    /// <value>The default is <see cref="RehearsalSettings"/>' defaults.</value>
    public RehearsalSettings Settings { get; init; } = new();

    /// <param name="against">The environment whose release and data are rehearsed against; null: the gate's <c>to</c>.</param>
    /// <param name="outDir">The report's folder; null: <c>.deploymatrix/rehearsals/TIMESTAMP/</c>.</param>
    /// <exception cref="OperationException">
    /// Bad input (exit 2): no environment to rehearse against, a target not on the local platform, a lane without a
    /// migration job, a target with variables that lead to the environment's data and no data command to replace them
    /// (<see cref="RealDataVariables"/>), a tag never built here. Exit 1: nothing serves in the environment, or its release has no known digest.
    /// </exception>
    public async Task<RehearsalRun> RunAsync(string lane, string tag, string? against, string? outDir, Action<string> say, CancellationToken ct)
    {
        var env = against ?? ws.Matrix.Gate?.To
            ?? throw new OperationException("the matrix has no gate, so there is no 'to' environment to rehearse against; name one: --against ENV", ExitCodes.BadInput);
        var target = ws.Resolve(lane, env);
        if (target.Platform != PlatformKind.Local)
        {
            throw new OperationException($"{lane} runs on {PlatformNames.Name(target.Platform)} in {env}; a rehearsal reads the release and data of a local target: add --platform local", ExitCodes.BadInput);
        }

        if (target.Job is null || target.MigrationCommand.Count == 0)
        {
            throw new OperationException($"{lane} has no migration job with a command in {env}; a rehearsal checks a migration against the release before it", ExitCodes.BadInput);
        }

        var data = ws.Matrix.FindLane(lane)?.Rehearsal is { DataCommand: { } command } rehearsal
            ? new RehearsalData(command, rehearsal.DataTimeout, ws.Matrix.BaseDirectory)
            : null;
        if (data is null)
        {
            RealDataVariables.RefuseWithoutDataCommand(target);
        }

        var scratchPlatforms = ws.Scratch ?? throw new OperationException("this workspace cannot open a scratch local platform");
        var built = ws.State.FindTag(PlatformNames.Name(PlatformKind.Local), lane, tag) is { Digest: { } d } ? d
            : throw new OperationException($"tag {tag} of {lane} was never built here; build it first: deploymatrix build {lane} --tag {tag}", ExitCodes.BadInput);

        // What the environment runs today, read and nothing more.
        var platform = await ws.Platforms.OpenAsync(target.Platform, ct);
        var service = await platform.GetServiceAsync(target, ct);
        // The release serving all traffic now; during a rollout (a split), the stable one it started from. Not the
        // rollback target: after a deploy that took all traffic that is the release before, and the rehearsal would be N-2.
        var stableName = (service.Traffic.FirstOrDefault(t => t.Percent == 100)?.Revision ?? ws.StableOf(target, service))
            ?? throw new OperationException($"{target.Service} serves nothing in {env}; a rehearsal needs the release it runs: deploy {lane} there first");
        var serving = service.Revisions.First(r => r.Name == stableName);
        var stable = new RehearsalRelease(serving.Tag ?? "?", serving.Digest
            ?? throw new OperationException($"{stableName} in {env} has no known digest; a rehearsal starts the same content"));
        var candidate = new RehearsalRelease(tag, built);

        var dir = outDir is null
            ? RunFolder.Create(ws.Paths.Rehearsals, ws.Time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture))
            : OutFolder(outDir);
        say($"rehearse {lane} {tag} ({candidate.Digest}) against {env}: stable {stable.Tag} ({stableName}, {stable.Digest})");
        RehearsalResult result;
        var scratchRoot = Path.Combine(dir, "scratch");
        if (Directory.Exists(scratchRoot))
        {
            // An --out folder an earlier rehearsal wrote: its scratch (data it migrated, its revisions' logs) must not
            // leak into this one. The report's own files are written anew.
            Directory.Delete(scratchRoot, recursive: true);
        }

        // Journaled phase by phase, so history --steps shows them and a killed rehearsal shows where it stopped.
        var log = ws.Recorder.Begin(RehearsalVerdicts.Action, lane, env, $"tag {tag}");
        var runner = (RehearsalRunner?)null;
        try
        {
            await using var scratch = await scratchPlatforms.OpenAsync(scratchRoot, ct);
            runner = new RehearsalRunner(scratch, ws.Time, ws.Processes)
            {
                PhaseStarting = description => log.Step(description, "started", null),
                PhaseEnded = phase => log.Step(phase.Description, PhaseStatus(phase.Verdict), phase.Reason),
            };
            // The environment's service name on any free port: the scratch agent's, never the environment's listener.
            result = await runner.RunAsync(target with { Port = null }, stable, candidate, Settings, data, dir, ct);
        }
        catch (Exception e)
        {
            // No verdict: the record names no digest, so the gate goes on reading the last rehearsal that gave one.
            log.EndOnError(e, new Dictionary<string, string?> { ["tag"] = tag }, message => ScratchData.Mask(message, runner?.Masked ?? []));
            throw;
        }
        finally
        {
            // Once its revisions have stopped: what they and the migration printed stays, without the data command's values.
            ScratchData.Scrub(scratchRoot, runner?.Masked ?? []);
        }

        var receipt = RehearsalReport.Write(dir, target.Ref, result, ws.Time.GetUtcNow());
        var verdict = result.Passed ? "pass" : "fail";
        log.End(verdict, RehearsalVerdicts.Inputs(tag, candidate.Digest, stable.Tag, stable.Digest, result.RollbackSafe, result.Why), verdict, receipt);
        return new RehearsalRun(result, dir);
    }

    /// <summary>A phase's verdict in the journal's words (succeeded, failed, skipped).</summary>
    private static string PhaseStatus(string verdict) => verdict switch
    {
        "pass" => "succeeded",
        "fail" => "failed",
        _ => "skipped",
    };

    /// <summary>Refused before anything runs: a linked report folder would put the report wherever it points.</summary>
    private static string OutFolder(string outDir)
    {
        try
        {
            return Files.SafeFile.CreateFolder(outDir);
        }
        catch (IOException e)
        {
            throw new OperationException($"--out: {e.Message.TrimEnd('.')}; give a real folder for the rehearsal's report", ExitCodes.BadInput);
        }
    }
}
