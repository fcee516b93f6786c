using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Core.Validation;

namespace DeployMatrix.Core.Planning;

/// <summary>
/// Turns a lane, an environment, a tag and an action into the ordered steps that will run. Pure: the
/// same matrix and request always give the same plan; revisions known only at run time stay as roles.
/// What a target is comes from <see cref="TargetResolver"/>; this decides only which steps run.
/// </summary>
public static partial class Planner
{
    /// <summary>What a lane does when no action is named: a binary lane without targets runs, everything else deploys.</summary>
    public static PlanAction DefaultAction(Lane lane) =>
        lane.Kind == LaneKind.Binary && lane.Targets.Count == 0 ? PlanAction.Run : PlanAction.Deploy;

    /// <summary>
    /// The request planned for each of the environment's targets: one plan, or one per region in wave order (only
    /// <see cref="PlanRequest.Region"/>'s when given). Requests without an environment (build, run) give one plan.
    /// </summary>
    public static WavePlans PlanWaves(Matrix matrix, PlanRequest request)
    {
        var regions = request.Environment is { } env && request.Region is null && matrix.FindLane(request.Lane) is { } lane && lane.TargetsIn(env).Count > 1
            && (request.Action ?? DefaultAction(lane)) is not (PlanAction.Build or PlanAction.Run)
            ? TargetResolver.ResolveWaves(matrix, request.Lane, env, request.Platform)
            : null;
        var plans = new List<Plan>();
        foreach (var region in regions?.Targets.Select(t => t.Region) ?? [request.Region])
        {
            var planned = Plan(matrix, request with { Region = region });
            if (planned.Plan is not { } plan)
            {
                return WavePlans.Failed(planned);
            }

            plans.Add(plan);
        }

        return new WavePlans(plans, regions?.Order ?? WaveOrder.Sequential, null, ExitCodes.Ok);
    }

    public static PlanResult Plan(Matrix matrix, PlanRequest request)
    {
        var lane = matrix.FindLane(request.Lane);
        if (lane is null)
        {
            return PlanResult.BadInput(TargetResolver.UnknownLane(matrix, request.Lane));
        }

        if (lane.Status == LaneStatus.Legacy && !request.Unfreeze)
        {
            return PlanResult.Frozen(Frozen(matrix, lane));
        }

        var action = request.Action ?? DefaultAction(lane);
        if (action == PlanAction.Run)
        {
            return PlanRun(matrix, lane, request);
        }

        if (action == PlanAction.Build && request.Environment is null)
        {
            return PlanBuild(lane, request, TargetResolver.BuildPlatform(matrix, lane, request.Platform));
        }

        if (lane.Targets.Count == 0)
        {
            // Said for any action (deploy, migrate, traffic…): a binary lane has nowhere to act; its command is what runs.
            var instead = lane.Kind == LaneKind.Binary ? $"; run its command with: deploymatrix run {lane.Name} -- ARGS" : "";
            return PlanResult.BadInput($"lane '{lane.Name}' has no targets, so {PlanActions.Name(action)} has nothing to act on{instead}");
        }

        if (request.Environment is null)
        {
            return PlanResult.BadInput($"--env is required for {PlanActions.Name(action)}; lane '{lane.Name}' has {string.Join(", ", lane.TargetEnvironments)}");
        }

        // A build is of the lane, not of a region: any of the environment's targets says where it runs.
        var waves = TargetResolver.ResolveWaves(matrix, lane.Name, request.Environment, request.Platform, request.Region);
        if (action == PlanAction.Build && waves.Error is null)
        {
            return PlanBuild(lane, request, waves.Targets[0].Platform);
        }

        var resolved = TargetResolver.Resolve(matrix, lane.Name, request.Environment, request.Platform, request.Region);
        if (resolved.Target is not { } target)
        {
            return PlanResult.BadInput(resolved.Error!);
        }

        // A lane rehearsed on Cloud Run needs an image there; a lane of local artifacts has none.
        if (target.Platform == PlatformKind.CloudRun && target.ImageTemplate is null && (action is PlanAction.Deploy or PlanAction.Migrate || (action == PlanAction.Rollout && request.Tag is not null)))
        {
            return PlanResult.BadInput($"lane '{lane.Name}' has no image for Cloud Run in '{target.Environment}' (its artifacts are local); give it 'image' with {Lane.TagPlaceholder}, or plan it with --platform local");
        }

        return action switch
        {
            PlanAction.Deploy => PlanDeploy(target, request),
            PlanAction.Migrate => PlanMigrate(target, request),
            PlanAction.SetTraffic => PlanSetTraffic(target, request),
            PlanAction.Rollback => PlanRollback(target, request),
            PlanAction.Status => Success(target, request, PlanAction.Status, [new DescribeStatus(target.Ref)]),
            PlanAction.Rollout => PlanRollout(matrix, target, request),
            _ => throw new InvalidOperationException($"unplanned action {action}"),
        };
    }

    /// <summary>Why a legacy lane is refused (exit 78), naming the canonical lanes to use instead.</summary>
    public static string Frozen(Matrix matrix, Lane lane) =>
        $"lane '{lane.Name}' is a frozen legacy lane{(lane.Description is null ? "" : $" ({lane.Description})")}; use a canonical lane: {string.Join(", ", matrix.CanonicalLanes.Select(l => l.Name))}";

    private static PlanResult PlanBuild(Lane lane, PlanRequest request, PlatformKind platform)
    {
        if (RequireTag(request, PlanAction.Build) is { } error)
        {
            return error;
        }

        Step step;
        if (platform == PlatformKind.CloudRun)
        {
            if (lane.Build?.CloudBuild is not { } cloud)
            {
                return PlanResult.BadInput($"lane '{lane.Name}' has no 'build.cloudbuild' config, so it cannot be built for Cloud Run");
            }

            var substitutions = new Dictionary<string, string>(StringComparer.Ordinal) { ["_TAG"] = request.Tag! };
            foreach (var (key, value) in cloud.Substitutions.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                substitutions[key] = value;
            }

            var project = TargetResolver.BuildProject(lane, request.Environment);
            step = new BuildImage(lane.Name, request.Tag!, lane.Image?.Replace(Lane.TagPlaceholder, request.Tag, StringComparison.Ordinal), cloud.Config.Path, substitutions, project);
        }
        else
        {
            if (lane.Build?.Local is not { } local)
            {
                return PlanResult.BadInput($"lane '{lane.Name}' has no 'build.local' command, so it cannot be built for the local platform");
            }

            step = new BuildArtifact(lane.Name, request.Tag!, local.Command.Words, local.Artifact);
        }

        return PlanResult.Success(new Plan { Lane = lane.Name, Action = PlanAction.Build, Environment = request.Environment, Tag = request.Tag, Platform = platform, Steps = [step] });
    }

    private static PlanResult PlanDeploy(ResolvedTarget target, PlanRequest request)
    {
        if (RequireTag(request, PlanAction.Deploy) is { } error)
        {
            return error;
        }

        var where = target.Ref;
        var image = target.ImageFor(request.Tag!);
        if (target.Traffic == TrafficPolicy.Direct && !request.NoTraffic)
        {
            return PlanDirectDeploy(target, request, image);
        }

        // One order on every platform: the revision starts with no traffic and a tag URL of its own, is
        // migrated and smoke-checked there, and only then takes the traffic its environment gives a deploy.
        var noTraffic = target.NoTraffic || request.NoTraffic;
        var tag = TrafficTags.For(where.Service, request.Tag!);
        // Preflight reads first, then the lane's verify checks: a failure of either stops the deploy before the platform changes at all.
        var steps = new List<Step>([.. Preflight.For(target, image), .. VerifySteps.For(target)]) { new DeployRevision(where, image, NoTraffic: true, tag), new VerifyServiceImage(where, image) };
        if (target.MigrationMandatory)
        {
            steps.AddRange(MigrationSteps(target, image));
        }

        steps.AddRange(target.Smoke.Select(s => new RunSmokeCheck(where, RevisionRef.New, s.Path, s.Expect, s.Contains, tag)));
        if (!noTraffic)
        {
            steps.Add(new SetTraffic(where, [new TrafficSplit(RevisionRef.NewTagged(tag), 100)]));
            // Users reach the service by its domain: once it serves the release, the smoke checks go there too
            // (the service's URL while the mapping is pending), as the seed's staging runbook asks.
            if (target.Domain is { } domain)
            {
                steps.AddRange(target.Smoke.Select(s => new RunSmokeCheck(where, RevisionRef.Latest, s.Path, s.Expect, s.Contains) { Domain = domain }));
            }
        }

        steps.Add(new RemoveTrafficTags(where, target.ReleaseTags.Keep));
        steps.Add(new WriteReceipt(where, "deploy", image));
        return Success(target, request, PlanAction.Deploy, steps, DeployNotes(target, request));
    }

    /// <summary>
    /// The seed's upstream order (<c>traffic: direct</c>, its deploy-runtime-and-migrate.sh with DEPLOY_NO_TRAFFIC=0):
    /// the deploy itself gives the revision all traffic (<c>gcloud run deploy SERVICE --project P --region R --image
    /// IMAGE --quiet</c>, no <c>--no-traffic</c>, no tag), then the migration with the same image, the drift check and
    /// the smoke checks on the service URL. No traffic step follows and no release tag is made or pruned. A failed
    /// step leaves the revision serving; its note names the rollback.
    /// </summary>
    /// <remarks>
    /// gcloud's deploy moves only what LATEST serves: where a rollback, rollout or traffic command pinned the split to
    /// named revisions, it keeps that pin and the new revision serves nothing ("Lifecycle of traffic splits", Cloud
    /// Run docs). The API path's update sends LATEST=100 itself; under <c>--executor gcloud</c> the deploy step stops
    /// (exit 1, before the migration) when gcloud reports the revision serving less than 100%.
    /// </remarks>
    private static PlanResult PlanDirectDeploy(ResolvedTarget target, PlanRequest request, string image)
    {
        var where = target.Ref;
        var steps = new List<Step>([.. Preflight.For(target, image), .. VerifySteps.For(target)])
        {
            new DeployRevision(where, image, NoTraffic: false),
            new VerifyServiceImage(where, image),
        };
        if (target.MigrationMandatory)
        {
            steps.AddRange(MigrationSteps(target, image));
        }

        steps.AddRange(target.Smoke.Select(s => new RunSmokeCheck(where, RevisionRef.Latest, s.Path, s.Expect, s.Contains)));
        steps.Add(new WriteReceipt(where, "deploy", image));
        return Success(target, request, PlanAction.Deploy, steps, [DirectNote(target)]);
    }

    /// <summary>The one line a direct deploy's plan and run print: what it gives up, and the way back.</summary>
    private static string DirectNote(ResolvedTarget target) =>
        $"traffic: direct — the new revision serves all traffic from its deploy on, before its {(target.MigrationMandatory ? "migration and " : "")}smoke checks (upstream's order, less safe than the checked path); "
        + $"a failed step leaves it serving: roll back with: rollback {target.Lane} {target.Args} (deploy --no-traffic takes the checked path)";

    /// <summary>What a reader of a deploy plan should know about its traffic: where it stays, and how it moves on.</summary>
    private static string[] DeployNotes(ResolvedTarget target, PlanRequest request) => target.Traffic switch
    {
        TrafficPolicy.Rollout => [$"{target.Lane} goes out in '{target.Environment}' by rollout (traffic: rollout): the deploy takes no traffic; continue with: rollout {target.Lane} {target.Args} (or deploy and roll out under one lock: rollout {target.Lane} {target.Args} --tag {request.Tag})"],
        TrafficPolicy.NoTraffic => [$"'{target.Environment}' deploys of {target.Lane} take no traffic (traffic: no-traffic); move it with: rollout {target.Lane} {target.Args}, or traffic {target.Lane} {target.Args} --to REV=PCT,…"],
        _ when request.NoTraffic => [$"--no-traffic: this deploy takes no traffic, though {target.Lane} in '{target.Environment}' otherwise takes all of it once the checks pass (traffic: immediate)"],
        _ => [],
    };

    /// <summary>
    /// A rollout as its runner walks it: with a tag, the deploy of the canary with no traffic first; then per stage
    /// the split, and the stage's check — at 0% the smoke checks (and, with <c>gate-checks</c>, the gate's http
    /// checks of the lane) on the canary's own URL, between 0 and 100 the analysis window — and the receipt.
    /// The same steps on every platform; only the commands that carry them differ.
    /// </summary>
    private static PlanResult PlanRollout(Matrix matrix, ResolvedTarget target, PlanRequest request)
    {
        var where = target.Ref;
        var steps = new List<Step>();
        string? canaryTag = null;
        if (request.Tag is { } tag)
        {
            var deploy = PlanDeploy(target, request with { Action = PlanAction.Deploy, NoTraffic = true });
            if (deploy.Plan is not { } deployPlan)
            {
                return deploy;
            }

            steps.AddRange(deployPlan.Steps);
            canaryTag = TrafficTags.For(where.Service, tag);
        }

        var policy = target.Rollout;
        foreach (var percent in policy.Stages)
        {
            steps.Add(new SetTraffic(where, percent == 100
                ? [new TrafficSplit(RevisionRef.Canary, 100)]
                : [new TrafficSplit(RevisionRef.Stable, 100 - percent), new TrafficSplit(RevisionRef.Canary, percent)]));
            if (percent == 0)
            {
                steps.AddRange(target.Smoke.Select(s => new RunSmokeCheck(where, RevisionRef.Canary, s.Path, s.Expect, s.Contains, canaryTag)));
                if (policy.GateChecks)
                {
                    steps.AddRange((matrix.Gate?.Checks ?? [])
                        .Where(c => c.Spec is HttpCheckSpec { Endpoint: { Lane: { } lane, Path: not null } } && lane == target.Lane)
                        .Select(c => (c.Id, Spec: (HttpCheckSpec)c.Spec))
                        // A staging and a production check of one path are one request on the canary's URL: sent once.
                        .DistinctBy(c => (c.Spec.Method, c.Spec.Endpoint.Path))
                        .Select(c => new RunGateCheck(where, c.Id, c.Spec.Method, c.Spec.Endpoint.Path!)));
                }
            }
            else if (percent < 100)
            {
                steps.Add(new AnalyseStage(where, percent, policy.Window, policy.Gates));
            }
        }

        steps.Add(new WriteReceipt(where, "rollout", request.Tag is { } t ? target.ImageFor(t) : ImageRefs.ServiceCurrent));
        var command = $"deploymatrix rollout {target.Lane} {target.Args}{(request.Tag is null ? "" : $" --tag {request.Tag}")}";
        List<string> notes =
        [
            $"STABLE is the revision serving all traffic when the rollout starts and CANARY the latest ready revision, resolved when it starts; each stage's split and check run natively: {command}",
        ];
        if (target.Platform == PlatformKind.CloudRun)
        {
            // gcloud can move traffic but cannot read Cloud Monitoring's time series, so only the writes change hands.
            notes.Add($"with --executor gcloud ({command} --executor gcloud) the canary's deploy and every traffic move (each stage's split, the rollback to STABLE, abort, promote, the final 100%) run as the gcloud commands here, STABLE and CANARY named; "
                + "the checks are requests made natively, and the analysis reads Cloud Monitoring through its API either way: gcloud has no command that reads time series");
            if (request.Tag is null)
            {
                // Cloud Run reaches one revision only by a traffic tag; one deployed outside DeployMatrix may have none.
                notes.Add($"a CANARY with no traffic tag (deployed outside DeployMatrix) gets one in the 0% stage's update, {TrafficTags.Prefix}<its image tag> (else {TrafficTags.Prefix}<its name after the service's>), so that stage checks it on its own URL: "
                    + $"--to-revisions STABLE=100,CANARY=0 --update-tags {TrafficTags.Prefix}…=CANARY");
            }
        }

        return Success(target, request, PlanAction.Rollout, steps, [.. notes]);
    }

    private static PlanResult PlanMigrate(ResolvedTarget target, PlanRequest request)
    {
        if (target.Job is null)
        {
            return PlanResult.BadInput($"lane '{target.Lane}' has no migration job");
        }

        // Without --tag this is the seed's rerun helper: the migration runs the service's current image.
        var steps = new List<Step>();
        string image;
        if (request.Tag is null)
        {
            steps.Add(new ResolveServiceImage(target.Ref));
            image = ImageRefs.ServiceCurrent;
        }
        else
        {
            // Preflight reads first, as a deploy's: nothing changes on the job when the image is missing.
            image = target.ImageFor(request.Tag);
            steps.AddRange(Preflight.ForMigration(target, image));
        }

        steps.AddRange(MigrationSteps(target, image));
        steps.Add(new WriteReceipt(target.Ref, "migrate", image));
        return Success(target, request, PlanAction.Migrate, steps);
    }

    private static IEnumerable<Step> MigrationSteps(ResolvedTarget target, string image)
    {
        var job = target.Job!;
        yield return new UpdateJobImage(target.Ref, job, image, target.MigrationEntrypoint, target.MigrationCommand);
        yield return new VerifyJobImage(target.Ref, job, image);
        yield return new ExecuteJob(target.Ref, job, image, target.MigrationCommand);
        yield return new CheckDrift(target.Ref, job, image);
    }

    private static PlanResult PlanRun(Matrix matrix, Lane lane, PlanRequest request)
    {
        if (lane.Run is not { } run)
        {
            return PlanResult.BadInput($"lane '{lane.Name}' is a {lane.Kind.ToString().ToLowerInvariant()} lane without a 'run' command; use --action deploy");
        }

        var words = run.Words.ToList();
        var slot = words.IndexOf(Lane.ArgsPlaceholder);
        if (slot >= 0)
        {
            if (request.Args.Count == 0)
            {
                return PlanResult.BadInput($"lane '{lane.Name}' runs '{run.Text}'; give the {Lane.ArgsPlaceholder} after '--', e.g. plan {lane.Name} --action run -- status");
            }

            words.RemoveAt(slot);
            words.InsertRange(slot, request.Args);
        }
        else if (request.Args.Count > 0)
        {
            return PlanResult.BadInput($"lane '{lane.Name}' runs the fixed command '{run.Text}' and takes no arguments; drop what follows '--'");
        }

        if (LegacyMatcher.FindForbidden(matrix.Legacy, words) is { } forbidden && !request.Unfreeze)
        {
            return PlanResult.Frozen($"the command uses forbidden legacy command '{forbidden.Command}' ({forbidden.Why})");
        }

        var env = TargetResolver.Env(lane, request.Environment is null ? null : lane.FindTarget(request.Environment));
        return PlanResult.Success(new Plan { Lane = lane.Name, Action = PlanAction.Run, Environment = request.Environment, Steps = [new RunBinary(lane.Name, words, env)] });
    }

    private static PlanResult? RequireTag(PlanRequest request, PlanAction action) =>
        request.Tag is null
            ? PlanResult.BadInput($"{PlanActions.Name(action)} needs an image tag: --tag TAG (the short git SHA, e.g. --tag $(git rev-parse --short HEAD))")
            : null;

    private static PlanResult Success(ResolvedTarget target, PlanRequest request, PlanAction action, IReadOnlyList<Step> steps, IReadOnlyList<string>? notes = null) =>
        PlanResult.Success(new Plan
        {
            Lane = target.Lane,
            Action = action,
            Environment = target.Environment,
            Tag = request.Tag,
            Platform = target.Platform,
            Region = target.Regional ? target.Region : null,
            Target = target,
            Steps = steps,
            Notes = notes ?? [],
        });
}
