using System.Globalization;
using System.Text;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Core.Rendering;

/// <summary>
/// Renders the Markdown deploy map from the matrix. Deterministic byte for byte (no clock, no
/// machine paths, LF endings) so <c>render --check</c> can hold a committed copy to it. The commands
/// under each entrypoint come from the planner, so the map shows exactly what the tool runs.
/// </summary>
public static class DeployMapRenderer
{
    private const string Tag = Lane.TagPlaceholder;

    public static string Render(Matrix matrix)
    {
        var md = new MarkdownWriter();
        Header(md, matrix);
        Gate(md, matrix);
        md.Line("## Canonical deploy entrypoints").Blank();
        md.Line($"`{Tag}` is the short git SHA of the commit being shipped (`git rev-parse --short HEAD`).").Blank();
        var number = 1;
        foreach (var lane in matrix.CanonicalLanes)
        {
            CanonicalLane(md, matrix, lane, number++);
        }

        md.Blank();
        NonCanonical(md, matrix);
        Notifications(md, matrix);
        return md.ToString();
    }

    /// <summary>Who is told of what; the variables are named, never their values (URLs and keys are secrets).</summary>
    private static void Notifications(MarkdownWriter md, Matrix matrix)
    {
        if (matrix.Notify.Count == 0)
        {
            return;
        }

        md.Blank().Line("## Notifications").Blank();
        foreach (var channel in matrix.Notify)
        {
            var kind = channel.Kind switch
            {
                NotifyKind.Slack => "Slack",
                NotifyKind.GoogleChat => "Google Chat",
                _ => $"webhook signed with `${channel.SecretEnv}`",
            };
            var events = channel.Events.Count == NotifyNames.Events.Count
                ? "every event"
                : string.Join(", ", NotifyNames.Events.Where(e => channel.Events.Contains(e.Value)).Select(e => e.Key));
            var lanes = channel.Lanes.Count == 0 ? "" : $"; lanes {string.Join(", ", channel.Lanes.Select(l => $"`{l}`"))}";
            var environments = channel.Environments.Count == 0 ? "" : $"; environments {string.Join(", ", channel.Environments.Select(e => $"`{e}`"))}";
            md.Line($"- `{channel.Name}` ({kind}, URL in `${channel.UrlEnv}`): {events}{lanes}{environments}");
        }
    }

    private static void Header(MarkdownWriter md, Matrix matrix)
    {
        md.Line($"# {matrix.Info.Title}").Blank();
        md.Line($"Status: {matrix.Info.Status}  ");
        md.Line($"Last updated: {matrix.Info.Updated.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}").Blank();
        if (matrix.Info.Summary is { } summary)
        {
            md.Line(summary).Blank();
        }

        md.Line($"<!-- Rendered from {Path.GetFileName(matrix.SourcePath)} by `deploymatrix render`. Edit the matrix, not this file. -->").Blank();
    }

    private static void Gate(MarkdownWriter md, Matrix matrix)
    {
        if (matrix.Gate is not { } gate)
        {
            return;
        }

        md.Line("Cross-environment release validation gate:").Blank();
        if (gate.Doc is { } doc)
        {
            md.Line($"- `{doc.Path}`");
        }

        md.Line($"- Go/no-go from `{gate.From}` to `{gate.To}`: `deploymatrix gate --from {gate.From} --to {gate.To} --tag {Tag}`");
        if (gate.Checks.Count > 0)
        {
            md.Line("- Checks (a required failure or skip is a no-go):");
            foreach (var check in gate.Checks)
            {
                var description = check.Description is null ? "" : $" — {check.Description}";
                md.Line($"  - `{check.Id}` ({(check.Required ? "required" : "optional")}, {check.Spec.Type}){description}{CheckDetail(check.Spec)}");
            }
        }

        md.Blank();
    }

    /// <summary>What a reader needs of a check beyond its description: a log probe's threshold, a domain check's host.</summary>
    private static string CheckDetail(CheckSpec spec) => spec switch
    {
        LogsCheckSpec l => $" (`{l.Lane}` in `{l.Where}`: at most {l.Max} log entries at {LogSeverities.Name(l.Severity)} or worse in the last {Durations.Format(l.Window)})",
        LaneCheckSpec { CheckType: LaneCheckSpec.Domain } d => $" (`{d.Lane}` in `{d.Where}`: its domain mapping routes to the service, Ready=True and CertificateProvisioned=True)",
        RehearsalCheckSpec r => $" (`{r.Lane}`: the release's digest passed `deploymatrix rehearse {r.Lane} --tag TAG`, so the release before it serves the migrated schema)",
        _ => "",
    };

    private static void CanonicalLane(MarkdownWriter md, Matrix matrix, Lane lane, int number)
    {
        md.Line($"{number}. `{lane.Name}` ({lane.Kind.ToString().ToLowerInvariant()})");
        if (lane.Description is { } description)
        {
            md.Line($"   - {description}");
        }

        if (lane.Run is { } run)
        {
            md.Line($"   - Active lane is binary execution (`{run.Text}`).");
            md.Line($"     - `deploymatrix run {lane.Name}{(run.Words.Contains(Lane.ArgsPlaceholder) ? $" -- {Lane.ArgsPlaceholder}" : "")}`");
        }

        if (lane.Image is { } image)
        {
            md.Line($"   - Image: `{image}`");
        }

        if (lane.Build is not null)
        {
            md.Line("   - Build image:");
            md.Line($"     - `deploymatrix build {lane.Name} --tag {Tag}`");
            if (lane.Targets.Any(t => t.Platform == PlatformKind.CloudRun))
            {
                var plan = Planner.Plan(matrix, new PlanRequest { Lane = lane.Name, Action = PlanAction.Build, Tag = Tag, Platform = PlatformKind.CloudRun }).Plan;
                Commands(md, plan, "       ");
            }

            if (lane.Build.Local is { } local)
            {
                md.Line($"       - Local platform: `{local.Command.Text}` (artifact `{local.Artifact}`)");
            }
        }

        foreach (var target in lane.Targets)
        {
            Target(md, matrix, lane, target);
        }

        foreach (var skipped in lane.Targets.Count == 0 ? [] : matrix.Environments.Where(e => lane.FindTarget(e.Name) is null))
        {
            var gated = matrix.Gate is { } gate && gate.From == skipped.Name && lane.Targets.Any(t => t.Environment == gate.To)
                ? $"; its tags still need the gate's go from `{gate.From}` to reach `{gate.To}`"
                : "";
            md.Line($"   - `{skipped.Name}`: skipped (no target){gated}");
        }

        if (lane.Migration is { } migration)
        {
            md.Line($"   - {(migration.Mandatory ? "Deploy + mandatory migration" : "Migration")}: job `{migration.Job ?? string.Join("`, `", lane.Targets.Select(t => migration.JobFor(t)))}` runs the same image{(migration.Mandatory ? " on every deploy, then the drift check" : "")}");
            foreach (var target in lane.Targets)
            {
                md.Line($"     - Rerun helper ({target.Where}): `deploymatrix migrate {lane.Name} {TargetResolver.Resolve(matrix, lane, target).Args} --rerun`");
            }
        }

        if (lane.Rehearsal?.DataCommand is { } data)
        {
            md.Line($"   - Rehearsal data: `deploymatrix rehearse {lane.Name}` loads the scratch data with `{data.Text}` (bounded by {Durations.Format(lane.Rehearsal.DataTimeout)})");
        }

        if (lane.Smoke.Count > 0)
        {
            md.Line($"   - Smoke checks: {string.Join(", ", lane.Smoke.Select(s => $"`{s.Path}`"))}");
        }

        if (lane.Targets.Count > 0)
        {
            // The preflight reads run natively before every deploy; the map names what they check, not their commands.
            md.Line($"   - Preflight, before a deploy changes anything: the image exists, the service exists, the caller holds the permissions the deploy needs{(lane.Requires.Count > 0 ? ", and the required variables are set:" : "")}");
            Requirements(md, lane.Requires, "     ");
            md.Line("   - Evidence of each deploy: its receipt and, beside it, `…-deploy-report.md` rendered from the receipt (tag, digest, revision, traffic before and after, each smoke check's request and answer, the verify status, the domain's status, the rollback command with the stable revision)");
        }

        if (lane.Runbooks.Count > 0)
        {
            md.Line("   - Runbook:");
            foreach (var runbook in lane.Runbooks)
            {
                md.Line($"     - `{runbook.Path}`");
            }
        }
    }

    private static void Target(MarkdownWriter md, Matrix matrix, Lane lane, Target target)
    {
        var resolved = TargetResolver.Resolve(matrix, lane, target);
        var traffic = resolved.Traffic;
        var where = target.Platform == PlatformKind.CloudRun
            ? $"Cloud Run service `{resolved.Service}` (project `{target.Project}`, region `{target.Region}`)"
            : $"local service `{resolved.Service}`{(target.Port is { } port ? $" on port {port}" : "")}";
        var args = resolved.Args;
        if (target.Order is { } order && lane.TargetsIn(target.Environment) is var waves && waves[0] == target)
        {
            // An environment in several regions: one command covers them all, wave by wave.
            var regions = string.Join(order == WaveOrder.Sequential ? ", then " : " and ", waves.Select(w => $"`{w.Region}`"));
            md.Line($"   - `{target.Environment}`: {waves.Count} regions, {(order == WaveOrder.Sequential ? $"in sequence ({regions}; each finishes — deploy, migration, smoke, rollout — before the next starts, and a failure stops the ones behind it)" : $"at once ({regions})")}");
            md.Line($"     - Every region: `deploymatrix deploy {lane.Name} --env {target.Environment} --tag {Tag}`; one: `--region REGION`");
        }

        md.Line($"   - `{target.Environment}`{(target.Regional ? $" in `{target.Region}`" : "")}: {where}; {TrafficWords(traffic)}");
        if (target.Domain is { } domain)
        {
            md.Line($"     - Domain: `{domain}` (a Cloud Run domain mapping): checks of the service go there once the mapping routes to it, Ready and with its certificate, else to the service's URL, and say which");
        }

        if (target.Requires is { Count: > 0 } requires)
        {
            md.Line("     - Also requires here:");
            Requirements(md, requires, "       ");
        }

        md.Line($"     - Deploy: `deploymatrix deploy {lane.Name} {args} --tag {Tag}`");
        if (resolved.Verify.Count > 0)
        {
            // Before the deploy's first change; the way past them is named so nobody reaches for another.
            md.Line("       - Verify first (a failure stops the deploy before anything changes; only `--skip-verify --reason \"…\"` passes it, audited):");
            foreach (var step in VerifySteps.For(resolved))
            {
                md.Line($"         - `{step.CheckId}` ({step.Type}{(step.Required ? "" : ", optional")}): {(step.Run is null ? step.Check : $"`{ShellRenderer.Join(step.Run, keepPlaceholders: true)}`")}");
            }
        }

        Commands(md, Plan(matrix, lane, target, PlanAction.Deploy), "       ");

        if (lane.Kind != LaneKind.Service)
        {
            return;
        }

        // Where a deploy leaves traffic, the map says how it moves on; everywhere, how to go back.
        var rollback = "     ";
        if (traffic is TrafficPolicy.NoTraffic or TrafficPolicy.Rollout)
        {
            var rollout = TargetResolver.RolloutOf(matrix, lane);
            md.Line($"     - Rollout/rollback: `deploymatrix rollout {lane.Name} {args} --tag {Tag}` — stages {string.Join(" → ", rollout.Stages)}, {Durations.Format(rollout.Window)} per stage; "
                + $"gates: 5xx < {Number(rollout.Gates.Max5xxRatePercent)}%, {string.Join(", ", rollout.Gates.LatencyGates.Select(g => g.Brief()))}, at least {rollout.Gates.MinRequests} requests per revision");
            md.Line($"       - Set traffic: `deploymatrix traffic {lane.Name} {args} --to STABLE=<100-P>,CANARY=<P>`");
            rollback = "       ";
        }

        md.Line($"{rollback}- Roll back: `deploymatrix rollback {lane.Name} {args}`");
        Commands(md, Plan(matrix, lane, target, PlanAction.Rollback), rollback + "  ");
    }

    /// <summary>One line per required variable: its name, whether it is a secret, and the condition under which it is required.</summary>
    private static void Requirements(MarkdownWriter md, IReadOnlyList<Requirement> requires, string indent)
    {
        foreach (var requirement in requires)
        {
            var when = string.Join(" and ", requirement.When.Select(w => $"`{w.Key}` is {string.Join(" or ", w.Value.Select(v => $"`{v}`"))}"));
            md.Line($"{indent}- `{requirement.Name}`{(requirement.Secret ? " (a secret: from Secret Manager on Cloud Run)" : "")}{(when.Length == 0 ? "" : $" when {when}")}");
        }
    }

    private static string TrafficWords(TrafficPolicy traffic) => traffic switch
    {
        TrafficPolicy.NoTraffic => "deploys take no traffic",
        TrafficPolicy.Rollout => "deploys take no traffic, then roll out",
        TrafficPolicy.Direct => "a deploy takes all traffic as its revision is created, before its checks (direct)",
        _ => "a deploy takes all traffic once its checks pass",
    };

    private static Plan? Plan(Matrix matrix, Lane lane, Target target, PlanAction action) =>
        Planner.Plan(matrix, new PlanRequest { Lane = lane.Name, Environment = target.Environment, Region = target.Regional ? target.Region : null, Tag = Tag, Action = action }).Plan;

    /// <summary>The commands a plan runs, as indented code spans; native steps are left to the plan itself.</summary>
    private static void Commands(MarkdownWriter md, Plan? plan, string indent)
    {
        foreach (var step in plan?.Steps ?? [])
        {
            // Smoke, verify and preflight checks are listed on lines of their own (or not at all); a check's read is not a deploy command.
            foreach (var line in step is RunSmokeCheck or RunVerifyCheck or CheckImage or CheckService or CheckPermissions or CheckRequirements ? [] : ShellRenderer.Lines(step, keepPlaceholders: true).Where(l => !l.StartsWith('#')))
            {
                md.Line($"{indent}- `{line}`");
            }
        }
    }

    private static void NonCanonical(MarkdownWriter md, Matrix matrix)
    {
        md.Line("## Non-canonical lanes").Blank();
        var number = 1;
        var legacy = matrix.Lanes.Where(l => l.Status == LaneStatus.Legacy).ToList();
        if (legacy.Count > 0)
        {
            md.Line($"{number++}. {string.Join(" and ", legacy.Select(l => $"`{l.Name}`"))} {(legacy.Count == 1 ? "is a legacy lane and is not a canonical deploy target" : "are legacy lanes and are not canonical deploy targets")} for new rollouts (frozen: refused with exit 78).");
            foreach (var lane in legacy.Where(l => l.Description is not null))
            {
                md.Line($"   - `{lane.Name}`: {lane.Description}");
            }
        }

        if (matrix.Legacy.Commands.Count > 0)
        {
            md.Line($"{number++}. Legacy commands are not canonical for active deployment (refused with exit 78; `deploymatrix guard` finds them in scripts):");
            foreach (var command in matrix.Legacy.Commands)
            {
                md.Line($"   - `{command.Command}` ({command.Why})");
            }
        }

        if (matrix.Legacy.Archived.Count > 0)
        {
            md.Line($"{number++}. Legacy deploy assets remain under archived paths only:");
            foreach (var path in matrix.Legacy.Archived)
            {
                md.Line($"   - `{path}`");
            }
        }

        if (number == 1)
        {
            md.Line("None.");
        }
    }

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class MarkdownWriter
    {
        private readonly StringBuilder _text = new();

        public MarkdownWriter Line(string line)
        {
            _text.Append(line).Append('\n');
            return this;
        }

        public MarkdownWriter Blank() => Line("");

        public override string ToString() => _text.ToString().TrimEnd('\n') + "\n";
    }
}
