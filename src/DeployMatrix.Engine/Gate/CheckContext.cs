using DeployMatrix.Core.Text;
using System.Text;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.Engine.Gate;

/// <summary>What the gate's checks run with (shared by all of one run).</summary>
internal sealed record GateServices(
    Matrix Matrix,
    IPlatform? Platform,
    Func<string, string, string?, ResolvedTarget> Resolve,
    Func<string, string, Rollout.Rollout?> LatestRollout,
    IProcessRunner Processes,
    Func<string, string?> Env,
    Redactor Redactor,
    Func<ResolvedTarget, string, Releases.ReleaseContent?> ContentOf)
{
    /// <summary>
    /// The revision a lane endpoint in an environment is checked on (its own URL: a tag URL on Cloud Run, a
    /// port locally), or null for the service's URL. A rollout's 0% stage points its lane at the canary.
    /// </summary>
    public Func<ResolvedTarget, string?> RevisionOf { get; init; } = _ => null;

    /// <value>The clock checks read windows from (a log probe's); the default is the system's.</value>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The latest rehearsal of a lane's release by its digest (lane, digest), or null; the default knows none.</summary>
    public Func<string, string, RehearsalVerdict?> Rehearsal { get; init; } = (_, _) => null;

    /// <summary>What checks run with in a workspace, on <paramref name="platform"/> (null: none reachable), with a fresh redactor.</summary>
    public static GateServices Of(Workspaces.Workspace ws, IPlatform? platform) => new(
        ws.Matrix,
        platform,
        (lane, env, region) => ws.Resolve(lane, env, region),
        (lane, env) => ws.State.LatestRollout(lane, env) is { } row ? Rollout.Rollout.From(row, ws.State.Owner) : null,
        ws.Processes,
        ws.Env,
        new Redactor(),
        (target, tag) => Releases.ReleaseContent.Of(ws.State, target, tag))
    {
        Time = ws.Time,
        Rehearsal = (lane, digest) => RehearsalVerdicts.Latest(ws.State, lane, digest),
    };
}

/// <summary>What one check may use, and its log: everything written goes through the redactor first.</summary>
internal sealed class CheckContext(GateServices services, string logPath)
{
    private readonly StringBuilder _log = new();

    public Matrix Matrix => services.Matrix;

    /// <summary>The tag the gate judges; null where checks run outside a gate (a rollout's 0% stage).</summary>
    public string? Tag { get; init; }

    /// <summary>What the checks run with.</summary>
    public GateServices Services => services;

    /// <summary>The platform the gate checks deployed lanes on; null when none can be reached (the local agent is not running).</summary>
    public IPlatform? Platform => services.Platform;

    public Redactor Redactor => services.Redactor;

    public IProcessRunner Processes => services.Processes;

    /// <summary>Now, on the run's clock.</summary>
    public DateTimeOffset Now => services.Time.GetUtcNow();

    public string LogPath { get; } = logPath;

    /// <summary>Where the check's lane endpoint was reached (its domain or the service's URL), once <see cref="GateHttp.UrlAsync"/> has decided; null for a written URL.</summary>
    public ServiceAddress? Address { get; set; }

    /// <summary>Which address the check used, for its result (" via DOMAIN", " via the service URL (why)"), or empty.</summary>
    public string Via => Address?.Via is { Length: > 0 } via ? " " + via : "";

    /// <summary>An environment variable's value (a bearer token); never logged.</summary>
    public string? Env(string name) => services.Env(name);

    /// <summary>One line of the check's log: secrets redacted, then controls escaped, so nothing in it forges another line.</summary>
    public void Log(string line) => _log.Append(UntrustedText.OneLine(Redactor.Apply(line))).Append('\n');

    /// <summary>A block of lines (an answer's body): secrets redacted first, then cut to <paramref name="maxChars"/>, with escape sequences escaped.</summary>
    public void LogBlock(string text, int maxChars)
    {
        var redacted = Redactor.Apply(text);
        // Indented: no line of an answer can pass for the check's own lines ("=> passed: …").
        var shown = UntrustedText.Lines(redacted.Length > maxChars ? redacted[..maxChars] + "\n…" : redacted);
        _log.Append(string.Join('\n', shown.Split('\n').Select(line => "  " + line))).Append('\n');
    }

    public void Flush() => Files.SafeFile.Write(LogPath, _log.ToString());

    /// <summary>The lane's target in an environment (in <paramref name="region"/>, where it runs in several), on the platform the run uses.</summary>
    public ResolvedTarget TargetOf(string lane, string env, string? region) => services.Resolve(lane, env, region);

    /// <summary>The revision checks of a target go to, or null for the service's URL (<see cref="GateServices.RevisionOf"/>).</summary>
    public string? RevisionOf(ResolvedTarget target) => services.RevisionOf(target);

    /// <summary>The target's latest rollout (keyed by its scope: the environment, or <c>ENV@REGION</c>), or null.</summary>
    public Rollout.Rollout? LatestRollout(ResolvedTarget target) => services.LatestRollout(target.Lane, target.Scope);
}

/// <summary>A check could not run (a missing token, no platform): it is skipped, which a required check turns into a no-go.</summary>
internal sealed class CheckSkipped(string reason) : Exception(reason);

/// <summary>A check ran and did not pass.</summary>
internal sealed class CheckFailed(string reason) : Exception(reason);

/// <summary>One kind of gate check (YARP's health-check policies, Polly's strategies: one small interface, a class per kind).</summary>
internal interface IGateCheck
{
    /// <summary>The command line the evidence shows for the check (what a person would run).</summary>
    string CommandOf(CheckSpec spec);

    /// <summary>Runs the check: returns its passing detail, or throws <see cref="CheckFailed"/> / <see cref="CheckSkipped"/>.</summary>
    Task<string> RunAsync(CheckSpec spec, CheckContext context, CancellationToken ct);
}

/// <summary>The check for each kind of spec.</summary>
internal static class GateChecks
{
    public static IGateCheck For(CheckSpec spec) => spec switch
    {
        HttpCheckSpec => new HttpCheck(),
        BudgetCheckSpec => new BudgetCheck(),
        CommandCheckSpec => new CommandCheck(),
        LaneCheckSpec { CheckType: LaneCheckSpec.Drift } => new DriftGateCheck(),
        LaneCheckSpec { CheckType: LaneCheckSpec.Domain } => new DomainCheck(),
        LogsCheckSpec => new LogsCheck(),
        LaneCheckSpec => new CanaryStatusCheck(),
        GuardCheckSpec => new GuardCheck(),
        RehearsalCheckSpec => new RehearsalCheck(),
        _ => throw new InvalidOperationException($"no check for '{spec.Type}'"),
    };
}
