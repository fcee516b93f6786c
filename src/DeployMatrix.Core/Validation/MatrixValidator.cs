using DeployMatrix.Core.Analysis;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Core.Validation;

/// <summary>
/// Rules that span the whole matrix (the shape of each value is checked while reading). Each rule
/// reports at the position of the thing to fix.
/// </summary>
public static class MatrixValidator
{
    /// <param name="buildConfigs">The text of each Cloud Build config the lanes name, by the path the matrix gives; one that could not be read is absent.</param>
    public static void Validate(Matrix matrix, DiagnosticBag diagnostics, IReadOnlyDictionary<string, string> buildConfigs)
    {
        foreach (var lane in matrix.Lanes)
        {
            if (lane.Status == LaneStatus.Canonical)
            {
                LaneRules.CheckCanonical(matrix, lane, diagnostics);
                LegacyRules.CheckCommands(matrix, lane, diagnostics);
            }

            LaneRules.CheckShape(lane, diagnostics);
            LaneRules.CheckRolloutWindow(matrix, lane, diagnostics);
            FileRules.CheckLane(matrix, lane, diagnostics);
            if (lane.Build?.CloudBuild is { } cloud && buildConfigs.TryGetValue(cloud.Config.Path, out var configText))
            {
                CloudBuildRules.Check(lane, cloud, configText, diagnostics);
            }
        }

        TargetRules.CheckUniqueness(matrix, diagnostics);
        GateRules.Check(matrix, diagnostics);
        GateRules.CheckVerify(matrix, diagnostics);
        LegacyRules.CheckGateCommands(matrix, diagnostics);
        FileRules.CheckGate(matrix, diagnostics);
    }
}

internal static class LaneRules
{
    /// <summary>
    /// A canonical service lane must be deployable where it deploys: a build for each platform it targets and a
    /// target in at least one environment. It may skip environments (no target there, or not in its
    /// <c>environments</c>).
    /// </summary>
    public static void CheckCanonical(Matrix matrix, Lane lane, DiagnosticBag d)
    {
        if (lane.Kind == LaneKind.Binary && lane.Targets.Count == 0)
        {
            return;
        }

        if (lane.Kind == LaneKind.Service && lane.Targets.Count == 0 && lane.Environments is null)
        {
            var first = matrix.Environments.FirstOrDefault()?.Name ?? "staging";
            d.Add(lane.Pos, "missing-target", $"canonical service lane '{lane.Name}' deploys nowhere; add 'targets: {{ {first}: {{ service: … }} }}' or 'environments: [{string.Join(", ", matrix.Environments.Select(e => e.Name))}]'");
        }

        if (lane.Build is null)
        {
            d.Add(lane.Pos, "missing-build", $"canonical lane '{lane.Name}' has no 'build'; add 'build: {{ cloudbuild: …/cloudbuild.yaml }}' or 'build: {{ local: {{ command: …, artifact: … }} }}'");
            return;
        }

        if (lane.Targets.Any(t => t.Platform == PlatformKind.CloudRun) && lane.Build.CloudBuild is null)
        {
            d.Add(lane.Build.Pos, "missing-build", $"lane '{lane.Name}' deploys to Cloud Run but its 'build' has no 'cloudbuild' config");
        }

        if (lane.Targets.Any(t => t.Platform == PlatformKind.Local) && lane.Build.Local is null)
        {
            d.Add(lane.Build.Pos, "missing-build", $"lane '{lane.Name}' deploys to the local platform but its 'build' has no 'local' command");
        }
    }

    public static void CheckShape(Lane lane, DiagnosticBag d)
    {
        if (lane.Kind == LaneKind.Binary && lane.Run is null && lane.Status == LaneStatus.Canonical)
        {
            d.Add(lane.Pos, "missing-key", $"binary lane '{lane.Name}' needs 'run', its canonical command (e.g. 'cargo run --manifest-path …/Cargo.toml -- <command>')");
        }

        if (lane.Kind == LaneKind.Service && lane.Run is not null)
        {
            d.Add(lane.Run.Pos, "kind", $"'run' belongs to binary lanes; lane '{lane.Name}' is a service (set 'kind: binary' or remove 'run')");
        }

        if (lane.Run is { } run)
        {
            var words = run.Words;
            var at = words.ToList().IndexOf(Lane.ArgsPlaceholder);
            if (words.Count == 0)
            {
                d.Add(run.Pos, "command", $"'run' of lane '{lane.Name}' is empty");
            }
            else if (at >= 0 && at != words.Count - 1)
            {
                d.Add(run.Pos, "command", $"in 'run' of lane '{lane.Name}', {Lane.ArgsPlaceholder} stands for the caller's arguments and must be the last word");
            }
        }

        foreach (var target in lane.Targets.Where(t => t.Platform == PlatformKind.CloudRun))
        {
            if (target.Project is null || target.Region is null)
            {
                d.Add(target.Pos, "missing-key", $"Cloud Run target '{target.Environment}' of lane '{lane.Name}' needs 'project' and 'region' (or set them in 'defaults')");
            }

            if ((target.Image ?? lane.Image) is null)
            {
                d.Add(target.Pos, "missing-key", $"Cloud Run target '{target.Environment}' of lane '{lane.Name}' needs an image; set 'image' on the lane (with {Lane.TagPlaceholder})");
            }

            if (Planning.TrafficTags.Problem(target.Service) is { } tagless)
            {
                d.Add(target.Pos, "service-name", $"Cloud Run target '{target.Environment}' of lane '{lane.Name}': {tagless}");
            }
        }

        CheckMigration(lane, d);
    }

    /// <summary>
    /// A lane that rolls out on Cloud Run needs windows Cloud Monitoring can judge: whole 60 s periods,
    /// visible minutes late (<see cref="MetricsCadence.CloudMonitoring"/>). Reported where the window is
    /// written (the lane's or the defaults'), or at the lane when it is the default.
    /// </summary>
    public static void CheckRolloutWindow(Matrix matrix, Lane lane, DiagnosticBag d)
    {
        if (!lane.Targets.Any(t => t.Platform == PlatformKind.CloudRun))
        {
            return;
        }

        var policy = lane.Rollout ?? matrix.Defaults.Rollout;
        if (MetricsCadence.CloudMonitoring.CheckWindow(policy.Window, "Cloud Run") is { } problem)
        {
            var minimum = Durations.Format(MetricsCadence.CloudMonitoring.MinimumWindow);
            d.Add(policy.WindowPos ?? lane.Pos, "window", $"lane '{lane.Name}' rolls out on Cloud Run: {problem}; set 'window: {minimum}' or longer");
        }
    }

    private static void CheckMigration(Lane lane, DiagnosticBag d)
    {
        var migration = lane.Migration;
        if (migration is null)
        {
            foreach (var target in lane.Targets.Where(t => t.Job is not null))
            {
                d.Add(target.Pos, "migration", $"target '{target.Environment}' of lane '{lane.Name}' names job '{target.Job}' but the lane has no 'migration'");
            }

            return;
        }

        if (lane.Kind != LaneKind.Service)
        {
            d.Add(migration.Pos, "migration", $"only service lanes have migration jobs; lane '{lane.Name}' is a {lane.Kind.ToString().ToLowerInvariant()}");
        }

        foreach (var target in lane.Targets.Where(t => migration.JobFor(t) is null))
        {
            d.Add(migration.Mandatory ? migration.Pos : target.Pos, "migration",
                $"lane '{lane.Name}' has a {(migration.Mandatory ? "mandatory " : "")}migration but no job for environment '{target.Environment}'; set 'migration.job' (or 'job' on the target)");
        }

        if (lane.Targets.Count == 0 && migration.Job is null)
        {
            d.Add(migration.Pos, "migration", $"the migration of lane '{lane.Name}' needs 'job'");
        }

        if (migration.Command is null && lane.Targets.Any(t => t.Platform == PlatformKind.Local))
        {
            d.Add(migration.Pos, "migration", $"lane '{lane.Name}' runs migrations on the local platform, which needs 'migration.command' (the arguments that make the artifact migrate)");
        }
    }
}

internal static class TargetRules
{
    /// <summary>Two targets may not claim the same service or the same local listener port.</summary>
    public static void CheckUniqueness(Matrix matrix, DiagnosticBag d)
    {
        var services = new Dictionary<string, (Lane Lane, Target Target)>(StringComparer.Ordinal);
        var ports = new Dictionary<int, (Lane Lane, Target Target)>();
        foreach (var lane in matrix.Lanes)
        {
            foreach (var target in lane.Targets)
            {
                // Cloud Run services share a project and region across environments; local services are per environment.
                var key = target.Platform == PlatformKind.CloudRun
                    ? $"cloudrun/{target.Project}/{target.Region}/{target.Service}"
                    : $"local/{target.Environment}/{TargetResolver.NameOn(PlatformKind.Local, target, target.Service)}";
                if (services.TryGetValue(key, out var owner))
                {
                    d.Add(target.Pos, "duplicate", $"service '{target.Service}' of lane '{lane.Name}' ({target.Where}) is already the target of lane '{owner.Lane.Name}' ({owner.Target.Where})");
                }
                else
                {
                    services[key] = (lane, target);
                }

                if (target.Port is { } port)
                {
                    if (ports.TryGetValue(port, out var taken))
                    {
                        // Each region of an environment is a service of its own on the local platform, with a listener of its own.
                        d.Add(target.Pos, "duplicate", $"port {port} of lane '{lane.Name}' ({target.Where}) is already used by lane '{taken.Lane.Name}' ({taken.Target.Where}){(target.Regional && taken.Target.Regional && taken.Lane == lane && taken.Target.Environment == target.Environment ? "; give each region its own port: regions: [{ region: …, port: … }]" : "")}");
                    }
                    else
                    {
                        ports[port] = (lane, target);
                    }
                }
            }
        }
    }
}

internal static class GateRules
{
    public static void Check(Matrix matrix, DiagnosticBag d)
    {
        CheckCanaryGateChecks(matrix, d);
        if (matrix.Gate is not { } gate)
        {
            return;
        }

        var names = matrix.Environments.Select(e => e.Name).ToList();
        foreach (var (env, key) in new[] { (gate.From, "from"), (gate.To, "to") })
        {
            if (env.Length > 0 && !names.Contains(env))
            {
                d.Add(gate.Pos, "unknown-env", $"gate '{key}' names environment '{env}', which 'environments' does not list{DidYouMean.Hint(env, names)}");
            }
        }

        if (names.IndexOf(gate.From) is var from and >= 0 && names.IndexOf(gate.To) is var to and >= 0 && from >= to)
        {
            d.Add(gate.Pos, "gate", $"the gate goes from '{gate.From}' to '{gate.To}', but 'environments' lists '{gate.To}' first; promotion follows that order");
        }

        foreach (var check in gate.Checks)
        {
            CheckLaneRef(matrix, check, "gate check", d);
        }
    }

    /// <summary>
    /// A lane's <c>verify</c> checks follow the gate's rules (a lane they name must have a target there, in the region named),
    /// and a command among them must not be a forbidden legacy command.
    /// </summary>
    public static void CheckVerify(Matrix matrix, DiagnosticBag d)
    {
        // A gate check named by its id was checked as the gate's, where it is written.
        var gateSpecs = (matrix.Gate?.Checks ?? []).Select(c => c.Spec).ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var check in matrix.Lanes.SelectMany(l => l.Verify).SelectMany(v => v.Checks).Where(c => !gateSpecs.Contains(c.Spec)))
        {
            CheckLaneRef(matrix, check, "verify check", d);
            if (check.Spec is CommandCheckSpec spec && LegacyMatcher.FindForbidden(matrix.Legacy, spec.Run.Words) is { } forbidden)
            {
                d.Add(check.Pos, "legacy-command", $"verify check '{check.Id}' uses forbidden legacy command '{forbidden.Command}' ({forbidden.Why})");
            }
        }
    }

    /// <param name="what">How messages name the check: <c>gate check</c> or <c>verify check</c>.</param>
    private static void CheckLaneRef(Matrix matrix, GateCheck check, string what, DiagnosticBag d)
    {
        if (check.Spec is RehearsalCheckSpec rehearsal)
        {
            CheckRehearsalLane(matrix, check, rehearsal, what, d);
        }

        if (check.Spec.LaneRef is not { } reference)
        {
            return;
        }

        var lane = matrix.FindLane(reference.Lane);
        if (lane is null)
        {
            d.Add(reference.Pos, "unknown-lane", $"{what} '{check.Id}' names lane '{reference.Lane}', which the matrix does not define{DidYouMean.Hint(reference.Lane, matrix.Lanes.Select(l => l.Name))}");
        }
        else if (lane.FindTarget(reference.Env) is null)
        {
            var why = matrix.FindEnvironment(reference.Env) is null
                ? $"but the lane has no target there{DidYouMean.Hint(reference.Env, lane.Targets.Select(t => t.Environment))}"
                : $"but {lane.Skips(reference.Env)}";
            d.Add(reference.Pos, "unknown-env", $"{what} '{check.Id}' names lane '{reference.Lane}' in '{reference.Env}', {why}");
        }
        else if (lane.TargetsIn(reference.Env) is { Count: > 1 } regions && (reference.Region is null || regions.All(t => t.Region != reference.Region)))
        {
            // A check reads one service; which region's it would be is not something to guess.
            var listed = string.Join(", ", regions.Select(t => t.Region));
            d.Add(reference.Pos, "gate", reference.Region is null
                ? $"{what} '{check.Id}' names lane '{lane.Name}' in '{reference.Env}', which runs in {regions.Count} regions ({listed}); say which with 'region: {regions[0].Region}'"
                : $"{what} '{check.Id}' names region '{reference.Region}' of lane '{lane.Name}' in '{reference.Env}', which runs in {listed}{DidYouMean.Hint(reference.Region, regions.Select(t => t.Region!))}");
        }
        else if (reference.Region is { } region && lane.TargetsIn(reference.Env) is { Count: 1 } only && only[0].Region != region)
        {
            d.Add(reference.Pos, "gate", $"{what} '{check.Id}' names region '{region}' of lane '{lane.Name}' in '{reference.Env}', which runs in {only[0].Region ?? "one place"}; drop 'region'");
        }
        else if (check.Spec is LaneCheckSpec { CheckType: LaneCheckSpec.Drift } && lane.Migration is null)
        {
            d.Add(reference.Pos, "gate", $"{what} '{check.Id}' checks migration drift of lane '{lane.Name}', which has no migration");
        }
        else if (check.Spec is LaneCheckSpec { CheckType: LaneCheckSpec.Domain } && lane.TargetsIn(reference.Env).All(t => t.Domain is null))
        {
            d.Add(reference.Pos, "gate", $"{what} '{check.Id}' checks the domain mapping of lane '{lane.Name}' in '{reference.Env}', whose target names no 'domain'; add 'domain: HOST' to the target");
        }
    }

    /// <summary>A rehearsal rehearses a migration: the lane must exist and have one.</summary>
    private static void CheckRehearsalLane(Matrix matrix, GateCheck check, RehearsalCheckSpec spec, string what, DiagnosticBag d)
    {
        if (matrix.FindLane(spec.Lane) is not { } lane)
        {
            d.Add(spec.RefPos, "unknown-lane", $"{what} '{check.Id}' names lane '{spec.Lane}', which the matrix does not define{DidYouMean.Hint(spec.Lane, matrix.Lanes.Select(l => l.Name))}");
        }
        else if (lane.Migration is null)
        {
            d.Add(spec.RefPos, "gate", $"{what} '{check.Id}' asks for a rehearsal of lane '{lane.Name}', which has no migration to rehearse");
        }
    }

    /// <summary>
    /// <c>rollout.gate-checks</c> written on a lane needs a gate <c>http</c> check of that lane (else the 0% stage
    /// would check nothing more than without it); written in the defaults, a check of at least one lane.
    /// </summary>
    private static void CheckCanaryGateChecks(Matrix matrix, DiagnosticBag d)
    {
        var checkedLanes = (matrix.Gate?.Checks ?? []).Select(c => c.Spec).OfType<HttpCheckSpec>()
            .Select(s => s.Endpoint.Lane).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var defaults = matrix.Defaults.Rollout;
        if (defaults is { GateChecks: true, GateChecksPos: { } defaultsPos } && checkedLanes.Count == 0)
        {
            d.Add(defaultsPos, "gate", "'gate-checks' in 'defaults.rollout' needs a gate 'http' check of a lane to run against its canaries; add one to 'gate.checks' or remove 'gate-checks'");
        }

        foreach (var lane in matrix.Lanes)
        {
            if (lane.Rollout is { GateChecks: true, GateChecksPos: { } pos } && pos != defaults.GateChecksPos && !checkedLanes.Contains(lane.Name))
            {
                d.Add(pos, "gate", $"'gate-checks' of lane '{lane.Name}' needs a gate 'http' check of lane '{lane.Name}' to run against its canary; add one to 'gate.checks' or remove 'gate-checks'");
            }
        }
    }
}
