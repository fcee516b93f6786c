using System.Globalization;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Drill;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Files;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.Engine.Rehearsal;

/// <summary>
/// A rehearsal's phases on a scratch local platform: the stable release started on a copy of the environment's data,
/// the candidate's migration, the N-1 check (the stable release's smoke checks on the migrated schema), the candidate
/// rolled out through the lane's stages under generated load and rolled back (the drill's runner), and the stable
/// release's smoke checks once more; before them all, for a lane with a data command, the scratch data is loaded (the
/// <c>data</c> phase, <see cref="ScratchData"/>), which must replace every variable that leads to the environment's
/// data (<see cref="RealDataVariables"/>); a target with one and no data command is refused before the runner starts.
/// A phase that fails is recorded and the rehearsal goes on where it can, so the report shows everything; a phase with
/// nothing to run on is skipped.
/// </summary>
internal sealed class RehearsalRunner(IScratchPlatform scratch, TimeProvider time, IProcessRunner processes)
{
    /// <summary>The scratch revisions of the stable release and the candidate, once started.</summary>
    private string? _stableRevision, _canaryRevision;

    /// <summary>The environment's data folder was copied already (by the data phase, before its command ran).</summary>
    private bool _dataCopied;

    public static IReadOnlyList<(string Id, string Description)> PhaseList =>
    [
        ("data", "copy the environment's data folder and run the lane's data command to load the scratch data"),
        ("stable", "start the release the environment runs on a copy of its data and smoke-check it"),
        ("migrate", "run the candidate's migration job (its artifact, the same command) on that data"),
        ("n-1", "smoke-check the stable release on the migrated schema"),
        ("rollout", "roll the candidate out through the lane's stages under generated load, then back to stable"),
        ("rollback", "smoke-check the stable release again after the rollback"),
    ];

    private IPlatform Platform => scratch.Platform;

    /// <summary>Told a phase's description as it starts (a skipped phase does not start).</summary>
    public Action<string>? PhaseStarting { get; init; }

    /// <summary>Told each phase once it has its verdict, skipped ones included.</summary>
    public Action<RehearsalPhase>? PhaseEnded { get; init; }

    /// <summary>The values the data command named (a scratch database's password among them): masked in every phase's evidence and reason.</summary>
    public IReadOnlyCollection<string> Masked { get; private set; } = [];

    /// <param name="target">The lane's target in the scratch platform (the environment's service, any free port).</param>
    /// <param name="data">The lane's data command; null: the data folder's copy is all the scratch data.</param>
    public async Task<RehearsalResult> RunAsync(ResolvedTarget target, RehearsalRelease stable, RehearsalRelease candidate, RehearsalSettings settings, RehearsalData? data, string dir, CancellationToken ct)
    {
        SafeFile.CreateFolder(Path.Combine(dir, "logs"));
        var phases = new List<RehearsalPhase>();
        DrillResult? rollout = null;
        string? skipWhy = null;
        async Task<RehearsalPhase> Phase(string id, Func<List<string>, Task<string>> body)
        {
            var description = PhaseList.First(p => p.Id == id).Description;
            var log = Path.Combine(dir, "logs", $"{id}.log");
            var started = time.GetUtcNow();
            var evidence = new List<string>();
            string verdict, reason;
            if (skipWhy is not null)
            {
                (verdict, reason) = ("skip", skipWhy);
            }
            else
            {
                PhaseStarting?.Invoke(description);
                try
                {
                    (verdict, reason) = ("pass", await body(evidence));
                }
                catch (OperationException e)
                {
                    (verdict, reason) = ("fail", e.Message);
                }
            }

            // A migration's or a smoke check's output may echo a variable: none of the data command's values is written.
            evidence = [.. evidence.Select(l => ScratchData.Mask(l, Masked))];
            reason = ScratchData.Mask(reason, Masked);
            SafeFile.Write(log, string.Concat(evidence.Append($"=> {verdict}: {reason}").Select(l => l + "\n")));
            var phase = new RehearsalPhase(id, description, verdict, reason, evidence, Stamp(started), Stamp(time.GetUtcNow()), Path.GetRelativePath(dir, log));
            phases.Add(phase);
            PhaseEnded?.Invoke(phase);
            return phase;
        }

        // Without a data command, a target whose variables lead to real data was refused before the runner was made
        // (RehearseOperation); with one, the data phase checks that the command replaced them.
        if (data is not null && !(await Phase("data", async ev =>
            {
                var (env, detail) = await LoadDataAsync(target, data, ev, ct);
                Masked = [.. env.Values];
                // Before anything starts on them: a variable left as it was would take the migration to the environment's data.
                if (RealDataVariables.NotReplaced(RealDataVariables.Find(target), target.Env, env) is { Count: > 0 } left)
                {
                    throw new OperationException(RealDataVariables.NotReplacedReason(left));
                }

                // From here on the scratch revisions and migration job see the scratch data's variables, not the environment's.
                target = target with { Env = new Dictionary<string, string>(target.Env.Concat(env).GroupBy(p => p.Key).Select(g => g.Last()), StringComparer.Ordinal) };
                return detail;
            })).Passed)
        {
            skipWhy = "not run: the scratch data did not load";
        }

        if (!(await Phase("stable", async ev => await StartStableAsync(target, stable, ev, ct))).Passed)
        {
            skipWhy ??= "not run: the stable release did not start";
        }

        if (!(await Phase("migrate", async ev => await MigrateAsync(target, candidate, ev, ct))).Passed)
        {
            skipWhy ??= "not run: the candidate's migration did not succeed";
        }

        var n1 = await Phase("n-1", async ev => await SmokeAsync(target, _stableRevision!, ev, ct));
        await Phase("rollout", async ev =>
        {
            (rollout, var detail) = await RollOutAsync(target, candidate, settings, dir, ev, ct);
            return detail;
        });
        var back = await Phase("rollback", async ev => await SmokeAsync(target, _stableRevision!, ev, ct));

        var safe = n1.Passed && back.Passed;
        var why = safe
            ? $"the stable release {stable.Tag} passed its smoke checks on the schema {candidate.Tag}'s migration made, and again after the rollback"
            : n1.Verdict == "skip"
                ? $"unknown, so not safe: {n1.Reason}"
                : !n1.Passed
                    ? $"the stable release {stable.Tag} fails on the schema {candidate.Tag}'s migration made: {n1.Reason}"
                    : $"the stable release {stable.Tag} failed after the rollback: {back.Reason}";
        return new RehearsalResult(target.Lane, target.Environment, target.Service,
            stable with { Revision = _stableRevision }, candidate with { Revision = _canaryRevision }, phases, safe, why, rollout) { LoadPerSecond = settings.LoadPerSecond };
    }

    private async Task<string> StartStableAsync(ResolvedTarget target, RehearsalRelease stable, List<string> ev, CancellationToken ct)
    {
        if (!_dataCopied)
        {
            CopyData(target, ev);
        }

        var image = scratch.Import(target.Lane, stable.Digest);
        var revision = await Platform.DeployRevisionAsync(target, image, stable.Tag, noTraffic: true, trafficTag: null, ct);
        ev.Add($"revision {revision.Name} of {image} (tag {stable.Tag}): {revision.Status}");
        await Platform.SetTrafficAsync(target, [new TrafficAssignment(revision.Name, 100)], ct);
        ev.Add($"traffic {revision.Name}=100");
        _stableRevision = revision.Name;
        return await SmokeAsync(target, revision.Name, ev, ct);
    }

    private void CopyData(ResolvedTarget target, List<string> ev)
    {
        var files = scratch.CopyData(target.Environment, target.Service);
        ev.Add($"data: {files} file(s) copied from {target.Service} ({target.Environment}) to {scratch.DataDir(target.Environment, target.Service)}");
        _dataCopied = true;
    }

    private Task<(IReadOnlyDictionary<string, string> Env, string Detail)> LoadDataAsync(ResolvedTarget target, RehearsalData data, List<string> ev, CancellationToken ct)
    {
        CopyData(target, ev);
        return ScratchData.RunAsync(processes, data, scratch.Root, scratch.DataDir(target.Environment, target.Service), ev, ct);
    }

    private async Task<string> MigrateAsync(ResolvedTarget target, RehearsalRelease candidate, List<string> ev, CancellationToken ct)
    {
        var job = target.Job ?? throw new OperationException($"{target.Lane} has no migration job to rehearse");
        var image = scratch.Import(target.Lane, candidate.Digest);
        await Platform.UpdateJobImageAsync(target, job, image, target.MigrationEntrypoint, target.MigrationCommand, ct);
        ev.Add($"job {job} set to {image} (tag {candidate.Tag}), command: {string.Join(' ', target.MigrationCommand)}");
        var execution = await Platform.ExecuteJobAsync(target, job, target.MigrationCommand, JobRun.Default, ct);
        if (execution.LogLocation is { } log && File.Exists(log))
        {
            ev.AddRange(File.ReadAllLines(log).TakeLast(40).Select(l => "  " + l));
        }

        return execution.Succeeded
            ? $"execution {execution.Name} succeeded"
            : throw new OperationException($"execution {execution.Name} failed (exit {execution.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}); logs: {execution.LogLocation}");
    }

    /// <summary>Every smoke check of the lane on one revision's own URL; all run, and every failure is named.</summary>
    private async Task<string> SmokeAsync(ResolvedTarget target, string revision, List<string> ev, CancellationToken ct)
    {
        var failures = new List<string>();
        foreach (var smoke in target.Smoke)
        {
            var url = new Uri(await Platform.UrlAsync(target, revision, ct), smoke.Path);
            try
            {
                ev.Add(await SmokeProbe.GetAsync(url, smoke.Expect, smoke.Contains, null, target.Serving.Protocol == ServingProtocol.H2c, whenRefused: null,
                    answered: a => ev.Add($"{a.Request} → {a.Status}: {Core.Text.UntrustedText.OneLine(a.Body)}"), ct));
            }
            catch (PlatformException e)
            {
                failures.Add(e.Message);
            }
        }

        return failures.Count == 0
            ? $"{target.Smoke.Count} smoke check(s) of {revision} passed"
            : throw new OperationException($"{revision}: {string.Join("; ", failures)}");
    }

    private async Task<(DrillResult, string)> RollOutAsync(ResolvedTarget target, RehearsalRelease candidate, RehearsalSettings settings, string dir, List<string> ev, CancellationToken ct)
    {
        var image = scratch.Import(target.Lane, candidate.Digest);
        var canary = await Platform.DeployRevisionAsync(target, image, candidate.Tag, noTraffic: true, trafficTag: null, ct);
        _canaryRevision = canary.Name;
        ev.Add($"candidate revision {canary.Name} of {image} (tag {candidate.Tag}): {canary.Status}");
        await SmokeAsync(target, canary.Name, ev, ct);
        var path = target.Smoke.LastOrDefault()?.Path ?? target.Probe;
        var url = new Uri(await Platform.UrlAsync(target, null, ct), path);
        var stages = target.Rollout.Stages.Where(p => p > 0).ToList();
        DrillResult drill;
        string load;
        await using (var generated = new PacedLoad(url, settings.LoadPerSecond, null, time))
        {
            drill = await new DrillRunner(Platform, time).RunAsync(target, _stableRevision!, canary.Name, stages, settings.Dwell, Path.Combine(dir, "rollout"), ct);
            load = generated.Summary;
        }

        ev.Add($"load: GET {url.AbsolutePath} at {settings.LoadPerSecond}/s through the service: {load}");
        ev.AddRange(drill.Steps.Select(s => $"{s.StepId}: {s.Status} ({s.Reason})"));
        // The stages are judged by their errors only: the scratch revisions share this machine's cores with the
        // load, so their latency says little about production's, and no latency gate is applied.
        var served = drill.Measurements.Where(m => m.Revision == canary.Name).ToList();
        var requests = served.Sum(m => m.Requests);
        var failed = served.Sum(m => m.Requests * m.ErrorRatePercent / 100);
        var rate = requests == 0 ? 0 : 100.0 * failed / requests;
        var limit = target.Rollout.Gates.Max5xxRatePercent;
        ev.Add(string.Create(CultureInfo.InvariantCulture, $"candidate {canary.Name}: {requests} requests, {rate:0.##}% failed (gate: at most {limit:0.##}%); latency not judged"));
        if (!drill.Passed)
        {
            throw new OperationException($"a traffic step failed: {string.Join("; ", drill.Steps.Where(s => s.Status != "pass").Select(s => $"{s.StepId}: {s.Reason}"))}");
        }

        return rate > limit
            ? throw new OperationException(string.Create(CultureInfo.InvariantCulture, $"the candidate failed {rate:0.##}% of its {requests} requests (gate: at most {limit:0.##}%)"))
            : (drill, string.Create(CultureInfo.InvariantCulture, $"{canary.Name} took {string.Join(", ", stages)}% and was rolled back; {rate:0.##}% of its {requests} requests failed"));
    }

    private static string Stamp(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);
}
