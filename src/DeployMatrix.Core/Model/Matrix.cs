using DeployMatrix.Core.Diagnostics;

namespace DeployMatrix.Core.Model;

/// <summary>The whole deploy matrix: one checked-in YAML file.</summary>
public sealed record Matrix
{
    /// <summary>The file the matrix was read from; relative paths inside it resolve against its folder.</summary>
    public required string SourcePath { get; init; }

    public required MatrixInfo Info { get; init; }

    public required Defaults Defaults { get; init; }

    /// <summary>Environments in promotion order (for example staging, then production).</summary>
    public required IReadOnlyList<EnvironmentConfig> Environments { get; init; }

    /// <summary>Lanes in file order; canonical and legacy alike.</summary>
    public required IReadOnlyList<Lane> Lanes { get; init; }

    public required LegacyPolicy Legacy { get; init; }

    public GateConfig? Gate { get; init; }

    /// <summary>Where the release's state lives when not in <c>.deploymatrix/state.db</c>; null for that default.</summary>
    public StateConfig? State { get; init; }

    /// <summary>The channels told of deploys, rollouts, gate verdicts and maintenance (<c>notify:</c>), in file order; empty: none.</summary>
    public IReadOnlyList<NotifyChannel> Notify { get; init; } = [];

    public string BaseDirectory => Path.GetDirectoryName(Path.GetFullPath(SourcePath)) ?? ".";

    public Lane? FindLane(string name) => Lanes.FirstOrDefault(l => l.Name == name);

    public EnvironmentConfig? FindEnvironment(string name) => Environments.FirstOrDefault(e => e.Name == name);

    public IEnumerable<Lane> CanonicalLanes => Lanes.Where(l => l.Status == LaneStatus.Canonical);
}

/// <summary>The header of the deploy map.</summary>
public sealed record MatrixInfo
{
    public required string Title { get; init; }

    public required string Status { get; init; }

    public required DateOnly Updated { get; init; }

    public string? Summary { get; init; }
}

/// <summary>Values every target inherits unless it names its own.</summary>
public sealed record Defaults
{
    /// <value>The default platform is <see cref="PlatformKind.Local"/>.</value>
    public PlatformKind Platform { get; init; } = PlatformKind.Local;

    public string? Project { get; init; }

    public string? Region { get; init; }

    /// <value>The default rollout is the seed's runbook: stages 0, 5, 25, 50, 100 with 10-minute windows.</value>
    public RolloutPolicy Rollout { get; init; } = RolloutPolicy.Default;

    /// <value>The default serving policy is <see cref="ServingPolicy.Default"/>: HTTP/1.1 revisions, 300 s requests, Kestrel's header limits, 32 MiB bodies, cleartext.</value>
    public ServingPolicy Serving { get; init; } = ServingPolicy.Default;

    /// <value>The default is <see cref="ReleaseTagPolicy.Default"/>: the newest 5 releases keep their release tag.</value>
    public ReleaseTagPolicy ReleaseTags { get; init; } = ReleaseTagPolicy.Default;
}

public enum PlatformKind
{
    Local,
    CloudRun,
}

/// <summary>Platform names as the matrix, the command line, receipts and the state store write them.</summary>
public static class PlatformNames
{
    public static readonly IReadOnlyDictionary<string, PlatformKind> ByName = new Dictionary<string, PlatformKind>(StringComparer.Ordinal)
    {
        ["local"] = PlatformKind.Local,
        ["cloudrun"] = PlatformKind.CloudRun,
    };

    public static string Name(PlatformKind kind) => kind == PlatformKind.CloudRun ? "cloudrun" : "local";
}

/// <summary>An environment such as staging or production.</summary>
public sealed record EnvironmentConfig
{
    public required string Name { get; init; }

    /// <summary>What a deploy here does with traffic unless its lane or target says otherwise (<c>traffic</c>, or <c>no-traffic: true</c>).</summary>
    /// <value>The default is <see cref="TrafficPolicy.Immediate"/>: all traffic once the revision passed its checks.</value>
    public TrafficPolicy Traffic { get; init; } = TrafficPolicy.Immediate;

    /// <summary>A deploy here leaves traffic where it was (<see cref="TrafficPolicy.NoTraffic"/> or <see cref="TrafficPolicy.Rollout"/>).</summary>
    public bool NoTraffic => Traffic is TrafficPolicy.NoTraffic or TrafficPolicy.Rollout;

    public string? Description { get; init; }

    public SourcePos Pos { get; init; }
}

/// <summary>A path the matrix names, relative to the matrix file, with where it was written.</summary>
public sealed record FileRef(string Path, SourcePos Pos)
{
    public override string ToString() => Path;
}

/// <summary>A command line the matrix names, with where it was written (forbidden-command checks point at it).</summary>
public sealed record CommandText(string Text, SourcePos Pos)
{
    public IReadOnlyList<string> Words => CommandWords.Split(Text);

    public override string ToString() => Text;
}

/// <summary>
/// The matrix's <c>state:</c> section: the environment variable that holds the PostgreSQL database a team
/// shares (team mode). The variable's value is a secret and is never read into the model.
/// </summary>
public sealed record StateConfig
{
    /// <summary>The variable's name (e.g. <c>DEPLOYMATRIX_STATE_URL</c>), a POSIX name.</summary>
    public required string UrlEnv { get; init; }

    public SourcePos Pos { get; init; }
}
