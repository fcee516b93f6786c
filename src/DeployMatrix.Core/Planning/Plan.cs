using System.Text.Json.Serialization;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Core.Planning;

public enum PlanAction
{
    Build,
    Deploy,
    Migrate,
    SetTraffic,
    Rollback,
    Status,
    Run,
    Rollout,
}

public static class PlanActions
{
    public static readonly IReadOnlyDictionary<string, PlanAction> ByName = new Dictionary<string, PlanAction>
    {
        ["build"] = PlanAction.Build,
        ["deploy"] = PlanAction.Deploy,
        ["migrate"] = PlanAction.Migrate,
        ["set-traffic"] = PlanAction.SetTraffic,
        ["rollback"] = PlanAction.Rollback,
        ["status"] = PlanAction.Status,
        ["run"] = PlanAction.Run,
        ["rollout"] = PlanAction.Rollout,
    };

    public static string Name(PlanAction action) => ByName.First(p => p.Value == action).Key;
}

/// <summary>What to plan. Revisions and percent matter only to traffic actions; Args only to <c>run</c>.</summary>
public sealed record PlanRequest
{
    public required string Lane { get; init; }

    public string? Environment { get; init; }

    /// <summary>The image tag (short git SHA); null for actions that need none.</summary>
    public string? Tag { get; init; }

    /// <summary>Null: deploy for services, run for binaries.</summary>
    public PlanAction? Action { get; init; }

    /// <summary>The canary's share for <c>set-traffic</c>; stable gets the rest.</summary>
    public int? Percent { get; init; }

    public string? Stable { get; init; }

    public string? Canary { get; init; }

    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>For set-traffic: an explicit split over named revisions (integers summing to 100) instead of stable/canary/percent.</summary>
    public IReadOnlyList<(string Revision, int Percent)>? Splits { get; init; }

    /// <summary>Deploy without moving traffic even where the environment would (the seed's deploy-no-traffic).</summary>
    public bool NoTraffic { get; init; }

    /// <summary>Run every target on this platform instead of the matrix's (rehearse Cloud Run lanes locally).</summary>
    public PlatformKind? Platform { get; init; }

    /// <summary>One of the environment's regions (<c>--region</c>); required to plan one target where the lane runs in several.</summary>
    public string? Region { get; init; }

    /// <summary>Legacy lanes are frozen; an explicit unfreeze (with a change ticket) lets them be planned.</summary>
    public bool Unfreeze { get; init; }
}

/// <summary>An ordered list of typed steps: what <c>plan</c> prints and what executors run.</summary>
public sealed record Plan
{
    public required string Lane { get; init; }

    public required PlanAction Action { get; init; }

    public string? Environment { get; init; }

    public string? Tag { get; init; }

    public PlatformKind? Platform { get; init; }

    /// <summary>The region of a plan for one of several targets (regions) of its environment; null otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Region { get; init; }

    /// <summary>How the journal, the lock and the records key the plan's target (<see cref="ResolvedTarget.Scope"/>): its environment, or <c>ENV@REGION</c>.</summary>
    [JsonIgnore]
    public string? Scope => Target?.Scope ?? Environment;

    /// <summary>The target the plan acts on, as resolved (null for builds and runs, which have none); what platforms take.</summary>
    [JsonIgnore]
    public ResolvedTarget? Target { get; init; }

    public required IReadOnlyList<Step> Steps { get; init; }

    /// <summary>Things a reader should know that are not steps (e.g. how STABLE/CANARY are resolved).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>Planning either yields a plan or says why not, with the exit code that reason deserves.</summary>
public sealed record PlanResult(Plan? Plan, string? Error, int ExitCode)
{
    public static PlanResult Success(Plan plan) => new(plan, null, 0);

    public static PlanResult BadInput(string error) => new(null, error, ExitCodes.BadInput);

    public static PlanResult Frozen(string error) => new(null, error, ExitCodes.FrozenLegacy);
}

/// <summary>
/// The plans of one action over an environment's targets: one plan, or one per region (a wave each) in
/// <see cref="Order"/> — or why not, with the exit code that reason deserves.
/// </summary>
public sealed record WavePlans(IReadOnlyList<Plan> Plans, WaveOrder Order, string? Error, int ExitCode)
{
    public bool Ok => Error is null;

    /// <summary>More than one target: commands show and run them as waves.</summary>
    public bool Several => Plans.Count > 1;

    public static WavePlans Failed(PlanResult failed) => new([], WaveOrder.Sequential, failed.Error, failed.ExitCode);
}
