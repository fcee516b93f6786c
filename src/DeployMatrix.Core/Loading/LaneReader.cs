using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Naming;
using DeployMatrix.Core.Validation;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Loading;

/// <summary>Reads the <c>lanes</c> mapping: one lane per key, targets resolved against the defaults.</summary>
internal sealed class LaneReader
{
    private static readonly string[] LaneKeys =
        ["kind", "status", "description", "image", "build", "environments", "targets", "traffic", "migration", "rehearsal", "rollout", "serving", "release-tags", "probe", "smoke", "verify", "runbooks", "env", "requires", "run"];
    private static readonly string[] BuildKeys = ["cloudbuild", "local"];
    private static readonly string[] CloudBuildKeys = ["config", "substitutions"];
    private static readonly string[] LocalBuildKeys = ["command", "artifact"];
    private static readonly string[] MigrationKeys = ["job", "mandatory", "command", "entrypoint"];
    private static readonly string[] RehearsalKeys = ["data"];
    private static readonly string[] RehearsalDataKeys = ["command", "timeout"];
    private static readonly string[] SmokeKeys = ["path", "expect", "contains"];

    private static readonly Dictionary<string, LaneKind> Kinds = new() { ["service"] = LaneKind.Service, ["binary"] = LaneKind.Binary };
    private static readonly Dictionary<string, LaneStatus> Statuses = new() { ["canonical"] = LaneStatus.Canonical, ["legacy"] = LaneStatus.Legacy };

    private readonly DiagnosticBag _diagnostics;
    private readonly Defaults _defaults;
    private readonly IReadOnlyList<EnvironmentConfig> _environments;
    private readonly GateConfig? _gate;

    /// <param name="gate">The gate as read: a lane's <c>verify</c> may name its checks.</param>
    public LaneReader(DiagnosticBag diagnostics, Defaults defaults, IReadOnlyList<EnvironmentConfig> environments, GateConfig? gate = null)
    {
        _diagnostics = diagnostics;
        _defaults = defaults;
        _environments = environments;
        _gate = gate;
    }

    public List<Lane> ReadLanes(MapReader top)
    {
        var lanes = new List<Lane>();
        var node = top.Mapping("lanes", required: true);
        if (node is null)
        {
            return lanes;
        }

        foreach (var pair in node.Pairs)
        {
            if (!MatrixReader.CheckName(pair.Key.Value, pair.Key.Pos, "lane", _diagnostics))
            {
                continue;
            }

            if (pair.Value is not YMapping body)
            {
                _diagnostics.Add(pair.Value.Pos, "type", $"lane '{pair.Key.Value}' must be a mapping, not {pair.Value.Describe()}");
                continue;
            }

            lanes.Add(ReadLane(pair.Key.Value, pair.Key.Pos, body));
        }

        if (node.Pairs.Count == 0)
        {
            _diagnostics.Add(node.Pos, "missing-key", "'lanes' holds no lane");
        }

        return lanes;
    }

    private Lane ReadLane(string name, SourcePos pos, YMapping body)
    {
        var r = new MapReader(body, $"lane '{name}'", _diagnostics, LaneKeys);
        var kind = r.Enum("kind", Kinds) ?? LaneKind.Service;
        var image = r.String("image");
        if (image is not null && !image.Contains(Lane.TagPlaceholder, StringComparison.Ordinal))
        {
            _diagnostics.Add(r.PosOf("image"), "image-tag", $"image of lane '{name}' must contain the {Lane.TagPlaceholder} placeholder (e.g. …/{name}:{Lane.TagPlaceholder})");
        }

        var (targets, environments) = new TargetReader(_diagnostics, _defaults, _environments).Read(r, name);

        var lane = new Lane
        {
            Name = name,
            Kind = kind,
            Status = r.Enum("status", Statuses) ?? LaneStatus.Canonical,
            Description = r.String("description"),
            Image = image,
            Build = r.Mapping("build") is { } build ? ReadBuild(new MapReader(build, $"'build' of lane '{name}'", _diagnostics, BuildKeys)) : null,
            Targets = targets,
            Environments = environments,
            Traffic = r.Enum("traffic", TrafficPolicies.ByName),
            Migration = r.Mapping("migration") is { } migration ? ReadMigration(new MapReader(migration, $"'migration' of lane '{name}'", _diagnostics, MigrationKeys)) : null,
            Rehearsal = r.Mapping("rehearsal") is { } rehearsal ? ReadRehearsal(new MapReader(rehearsal, $"'rehearsal' of lane '{name}'", _diagnostics, RehearsalKeys)) : null,
            Rollout = r.Mapping("rollout") is { } rollout
                ? RolloutReader.Read(new MapReader(rollout, $"'rollout' of lane '{name}'", _diagnostics, RolloutReader.Keys), _defaults.Rollout)
                : null,
            Serving = r.Mapping("serving") is { } serving
                ? ServingReader.Read(new MapReader(serving, $"'serving' of lane '{name}'", _diagnostics, ServingReader.Keys), _defaults.Serving)
                : null,
            ReleaseTags = r.Mapping("release-tags") is { } tags
                ? ReleaseTagReader.Read(new MapReader(tags, $"'release-tags' of lane '{name}'", _diagnostics, ReleaseTagReader.Keys), _defaults.ReleaseTags)
                : null,
            Probe = ReadPath(r, "probe") ?? "/readyz",
            Smoke = ReadSmoke(r),
            Verify = VerifyReader.Read(r, name, targets, _gate, _diagnostics),
            Runbooks = r.FileList("runbooks"),
            Env = Variables(r),
            Requires = RequirementReader.Read(r),
            Run = r.String("run") is { } run ? new CommandText(run, r.PosOf("run")) : null,
            Pos = pos,
        };
        if (lane.Rehearsal is not null && lane.Migration is null)
        {
            // A rehearsal rehearses a migration: without one, rehearse refuses the lane and the section says nothing.
            _diagnostics.Add(r.PosOf("rehearsal"), "rehearsal", $"lane '{name}' has a 'rehearsal' section but no migration to rehearse; add its 'migration' or remove 'rehearsal'");
        }

        return lane;
    }

    private BuildConfig ReadBuild(MapReader r)
    {
        CloudBuildConfig? cloud = null;
        switch (r.Node("cloudbuild"))
        {
            case YScalar { IsNull: false } s:
                // Short form: the config path alone.
                cloud = new CloudBuildConfig { Config = new FileRef(s.Value, s.Pos) };
                break;
            case YMapping m:
                var c = new MapReader(m, $"'cloudbuild' of {r.Context}", _diagnostics, CloudBuildKeys);
                var config = c.String("config", required: true);
                var substitutions = c.StringMap("substitutions");
                foreach (var key in substitutions.Keys.Where(k => !CloudBuildRules.IsUserKey(k)))
                {
                    _diagnostics.Add(c.PosOf("substitutions"), "substitution", $"substitution '{key}' in {c.Context} must start with '_' and hold only upper-case letters, digits and '_' (Cloud Build's _[A-Z0-9_]+), and must not be _TAG (set from --tag)");
                }

                var positions = new Dictionary<string, SourcePos>(StringComparer.Ordinal);
                foreach (var pair in (c.Node("substitutions") as YMapping)?.Pairs ?? [])
                {
                    positions[pair.Key.Value] = pair.Key.Pos;
                }

                cloud = config is null ? null : new CloudBuildConfig { Config = new FileRef(config, c.PosOf("config")), Substitutions = substitutions, SubstitutionPositions = positions };
                break;
            case { } other and not YScalar:
                r.TypeError("cloudbuild", other, "a config path or a mapping");
                break;
        }

        LocalBuildConfig? local = null;
        if (r.Mapping("local") is { } localNode)
        {
            var l = new MapReader(localNode, $"'local' of {r.Context}", _diagnostics, LocalBuildKeys);
            var command = l.String("command", required: true);
            var artifact = l.String("artifact", required: true);
            if (command is not null && artifact is not null)
            {
                local = new LocalBuildConfig { Command = new CommandText(command, l.PosOf("command")), Artifact = artifact };
            }
        }

        if (cloud is null && local is null && !r.Has("cloudbuild") && !r.Has("local"))
        {
            r.Missing("cloudbuild' or 'local");
        }

        return new BuildConfig { CloudBuild = cloud, Local = local, Pos = r.Pos };
    }

    private RehearsalConfig ReadRehearsal(MapReader r)
    {
        if (r.Mapping("data") is not { } data)
        {
            return new RehearsalConfig { Pos = r.Pos };
        }

        var d = new MapReader(data, $"'data' of {r.Context}", _diagnostics, RehearsalDataKeys);
        var command = d.String("command", required: true);
        if (command is not null && string.IsNullOrWhiteSpace(command))
        {
            _diagnostics.Add(d.PosOf("command"), "rehearsal", $"'command' in {d.Context} is empty; give the command that loads the scratch data, e.g. pg_dump --schema-only … | psql …");
            command = null;
        }

        return new RehearsalConfig
        {
            DataCommand = command is null ? null : new CommandText(command, d.PosOf("command")),
            DataTimeout = d.Duration("timeout", TimeSpan.FromSeconds(1), TimeSpan.FromHours(2)) ?? TimeSpan.FromMinutes(5),
            Pos = r.Pos,
        };
    }

    private static MigrationConfig ReadMigration(MapReader r) => new()
    {
        Job = JobName(r),
        Mandatory = r.Bool("mandatory") ?? false,
        Command = r.String("command") is { } command ? new CommandText(command, r.PosOf("command")) : null,
        Entrypoint = r.String("entrypoint"),
        Pos = r.Pos,
    };

    /// <summary>A migration job's name (<see cref="ResourceNames.Job"/>), or null (with a diagnostic) when it breaks the rule.</summary>
    internal static string? JobName(MapReader r)
    {
        if (r.String("job") is not { } job)
        {
            return null;
        }

        if (ResourceNames.Job(job) is { } problem)
        {
            r.Diagnostics.Add(r.PosOf("job"), "name", $"job name '{job}' in {r.Context} {problem}");
            return null;
        }

        return job;
    }

    /// <summary>The <c>env</c> mapping, each variable's name held to <see cref="ResourceNames.Variable"/> at its key.</summary>
    internal static IReadOnlyDictionary<string, string> Variables(MapReader r)
    {
        foreach (var pair in (r.Node("env") as YMapping)?.Pairs ?? [])
        {
            if (ResourceNames.Variable(pair.Key.Value) is { } problem)
            {
                r.Diagnostics.Add(pair.Key.Pos, "name", $"variable '{pair.Key.Value}' in 'env' of {r.Context} {problem}");
            }
        }

        return r.StringMap("env");
    }

    private List<SmokeCheck> ReadSmoke(MapReader lane)
    {
        var checks = new List<SmokeCheck>();
        foreach (var item in lane.List("smoke", allowSingle: true))
        {
            switch (item)
            {
                case YScalar { IsNull: false } s when s.Value.StartsWith('/'):
                    checks.Add(new SmokeCheck { Path = s.Value });
                    break;
                case YMapping m:
                    var r = new MapReader(m, $"a smoke check of {lane.Context}", _diagnostics, SmokeKeys);
                    if (ReadPath(r, "path", required: true) is { } path)
                    {
                        checks.Add(new SmokeCheck { Path = path, Expect = (int?)r.Integer("expect", 100, 599) ?? 200, Contains = r.String("contains") });
                    }

                    break;
                default:
                    _diagnostics.Add(item.Pos, "type", $"a smoke check of {lane.Context} is a path starting with '/' or a mapping with 'path', not {item.Describe()}");
                    break;
            }
        }

        return checks;
    }

    private string? ReadPath(MapReader r, string key, bool required = false)
    {
        var path = r.String(key, required);
        if (path is not null && !path.StartsWith('/'))
        {
            _diagnostics.Add(r.PosOf(key), "path", $"'{key}' in {r.Context} must be a URL path starting with '/', not '{path}'");
            return null;
        }

        return path;
    }
}
