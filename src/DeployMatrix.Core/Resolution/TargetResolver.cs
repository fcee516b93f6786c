using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Resolution;

/// <summary>A target, or why there is none and the exit code that reason deserves.</summary>
public sealed record Resolution(ResolvedTarget? Target, string? Error, int ExitCode)
{
    public static Resolution Found(ResolvedTarget target) => new(target, null, ExitCodes.Ok);

    public static Resolution BadInput(string error) => new(null, error, ExitCodes.BadInput);
}

/// <summary>
/// The targets a command that names an environment acts on: one, or one per region in wave order — or why there
/// are none (exit 2).
/// </summary>
public sealed record Waves(IReadOnlyList<ResolvedTarget> Targets, WaveOrder Order, string? Error)
{
    public static Waves BadInput(string error) => new([], WaveOrder.Sequential, error);

    /// <summary>The environment's several targets (regions) as one command acts on them.</summary>
    public bool Several => Targets.Count > 1;
}

/// <summary>
/// The one place where the matrix's defaults, a lane and its target merge into what a command acts on
/// (<see cref="ResolvedTarget"/>): platform, project, region, service, job, port, probe, env, serve
/// arguments, image template, rollout and serving policies and the traffic policy (target's, else lane's, else
/// environment's). An environment in several regions resolves to one target per region. Pure.
/// </summary>
public static class TargetResolver
{
    /// <summary>The lane's target in <paramref name="environment"/> (in <paramref name="region"/> when it has several), or a one-line error with the fix (exit 2).</summary>
    /// <param name="platform">Run on this platform instead of the target's (<c>--platform local</c> rehearses Cloud Run lanes).</param>
    /// <param name="region">One of the environment's regions (<c>--region</c>); required where the lane has several there.</param>
    public static Resolution Resolve(Matrix matrix, string laneName, string environment, PlatformKind? platform = null, string? region = null)
    {
        var waves = ResolveWaves(matrix, laneName, environment, platform, region);
        if (waves.Error is { } error)
        {
            return Resolution.BadInput(error);
        }

        return waves.Several
            ? Resolution.BadInput($"lane '{laneName}' runs in {waves.Targets.Count} regions in '{environment}' ({string.Join(", ", waves.Targets.Select(t => t.Region))}); name one with --region {waves.Targets[0].Region}")
            : Resolution.Found(waves.Targets[0]);
    }

    /// <summary>
    /// Every target of the lane in <paramref name="environment"/>, as waves: its one target, or one per region in the order
    /// written — only <paramref name="region"/>'s when given. An error (exit 2) names the fix.
    /// </summary>
    public static Waves ResolveWaves(Matrix matrix, string laneName, string environment, PlatformKind? platform = null, string? region = null)
    {
        if (matrix.FindLane(laneName) is not { } lane)
        {
            return Waves.BadInput(UnknownLane(matrix, laneName));
        }

        if (lane.Targets.Count == 0)
        {
            return Waves.BadInput($"lane '{lane.Name}' has no targets, so it has nothing deployed in '{environment}'");
        }

        var targets = lane.TargetsIn(environment);
        if (targets.Count == 0)
        {
            return Waves.BadInput(matrix.FindEnvironment(environment) is null
                ? $"lane '{lane.Name}' has no target for environment '{environment}'{DidYouMean.Hint(environment, lane.TargetEnvironments)}"
                : lane.Skips(environment));
        }

        if (region is not null)
        {
            if (targets.FirstOrDefault(t => t.Region == region) is not { } picked)
            {
                var regions = targets.Select(t => t.Region).OfType<string>().ToList();
                return Waves.BadInput(regions.Count == 0
                    ? $"lane '{lane.Name}' has no regions in '{environment}'; drop --region {region}"
                    : $"lane '{lane.Name}' does not run in region '{region}' in '{environment}'; use --region {string.Join(" or --region ", regions)}");
            }

            targets = [picked];
        }

        return new Waves([.. targets.Select(t => Resolve(matrix, lane, t, platform))], targets[0].Order ?? WaveOrder.Sequential, null);
    }

    /// <summary>
    /// The name a target's service (or job) has on <paramref name="platform"/>: as written, except that the local
    /// platform — one machine, no regions — runs each of several regions as a service of its own, <c>NAME-REGION</c>.
    /// </summary>
    public static string NameOn(PlatformKind platform, Target target, string name) =>
        platform == PlatformKind.Local && target.Regional ? $"{name}-{target.Region}" : name;

    public static ResolvedTarget Resolve(Matrix matrix, Lane lane, Target target, PlatformKind? platform = null) => new()
    {
        Lane = lane.Name,
        Environment = target.Environment,
        Platform = platform ?? target.Platform,
        Service = NameOn(platform ?? target.Platform, target, target.Service),
        Project = target.Project,
        Region = target.Region,
        ImageTemplate = target.Image ?? lane.Image,
        Job = lane.Migration?.JobFor(target) is { } job ? NameOn(platform ?? target.Platform, target, job) : null,
        MigrationMandatory = lane.Migration?.Mandatory == true,
        MigrationCommand = lane.Migration?.Command?.Words ?? [],
        MigrationEntrypoint = lane.Migration?.Entrypoint,
        Port = target.Port,
        Domain = target.Domain,
        Probe = lane.Probe,
        Env = Env(lane, target),
        Requires = Loading.RequirementReader.Merge(lane.Requires, target.Requires),
        ServeArgs = ServeArgs(lane),
        Rollout = RolloutOf(matrix, lane),
        Serving = lane.Serving ?? matrix.Defaults.Serving,
        ReleaseTags = lane.ReleaseTags ?? matrix.Defaults.ReleaseTags,
        Traffic = target.Traffic ?? lane.Traffic ?? matrix.FindEnvironment(target.Environment)?.Traffic ?? TrafficPolicy.Immediate,
        Smoke = lane.Smoke,
        Verify = lane.Verify.FirstOrDefault(v => v.Environment == target.Environment)?.Checks ?? [],
        Order = target.Order,
    };

    /// <summary>Every target of every lane the matrix names, in file order (lanes, then their targets).</summary>
    public static IEnumerable<ResolvedTarget> All(Matrix matrix, PlatformKind? platform = null) =>
        matrix.Lanes.SelectMany(lane => lane.Targets.Select(target => Resolve(matrix, lane, target, platform)));

    /// <summary>The lane's canary policy: its own (already merged field by field over the defaults when read), else the defaults'.</summary>
    public static RolloutPolicy RolloutOf(Matrix matrix, Lane lane) => lane.Rollout ?? matrix.Defaults.Rollout;

    /// <summary>The lane's variables, overridden by the target's when there is one (a binary lane run without an environment has none).</summary>
    public static IReadOnlyDictionary<string, string> Env(Lane lane, Target? target)
    {
        var env = new Dictionary<string, string>(lane.Env, StringComparer.Ordinal);
        foreach (var (key, value) in target?.Env ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        return env;
    }

    /// <summary>
    /// Where a build runs when no environment is named: the platform asked for, else the lane's first
    /// target's, else the matrix default.
    /// </summary>
    public static PlatformKind BuildPlatform(Matrix matrix, Lane lane, PlatformKind? platform) =>
        platform ?? (lane.Targets.Count > 0 ? lane.Targets[0].Platform : matrix.Defaults.Platform);

    /// <summary>The project a Cloud Build runs in: the named environment's target's, else the lane's first that has one.</summary>
    public static string? BuildProject(Lane lane, string? environment) =>
        (environment is null ? null : lane.FindTarget(environment)?.Project) ?? lane.Targets.FirstOrDefault(t => t.Project is not null)?.Project;

    public static string UnknownLane(Matrix matrix, string laneName) =>
        $"unknown lane '{laneName}'{DidYouMean.Hint(laneName, matrix.Lanes.Select(l => l.Name))}";

    /// <summary>A served binary lane runs its artifact with the words after '--' in its canonical command (e.g. 'serve').</summary>
    private static IReadOnlyList<string> ServeArgs(Lane lane)
    {
        if (lane.Run is null)
        {
            return [];
        }

        var words = lane.Run.Words.ToList();
        var separator = words.IndexOf("--");
        return separator < 0 ? [] : words[(separator + 1)..];
    }
}
