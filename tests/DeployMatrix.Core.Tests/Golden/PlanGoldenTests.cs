using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Rendering;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Core.Tests.Golden;

/// <summary>
/// What the core makes of the example and of the corpus's full matrix: every target resolved, every plan
/// (each action, each environment, each platform) as steps, notes and gcloud commands, and the rendered
/// map — held line by line to files on record.
/// </summary>
public sealed class PlanGoldenTests
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new PlatformNameJsonConverter(), new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private static readonly JsonSerializerOptions OneLine = new(Json) { WriteIndented = false };

    public static TheoryData<string> Matrices => ["example", "full"];

    /// <summary>With the matrix whose environments run in several regions, for what it adds: a target per region.</summary>
    public static TheoryData<string> AllMatrices => ["example", "full", "regions"];

    [Theory]
    [MemberData(nameof(AllMatrices))]
    public void EveryTarget_ResolvesAsOnRecord(string name)
    {
        var matrix = Load(name);
        var text = new StringBuilder();
        foreach (var platform in new PlatformKind?[] { null, PlatformKind.Local, PlatformKind.CloudRun })
        {
            foreach (var target in TargetResolver.All(matrix, platform))
            {
                text.Append("== ").Append(target.Lane).Append(' ').Append(target.Environment).Append(" as ").Append(platform?.ToString() ?? "written").Append('\n')
                    .Append(target).Append('\n')
                    .Append(JsonSerializer.Serialize(target, Json)).Append('\n')
                    .Append("image t1: ").Append(target.ImageTemplate is null && target.Platform == PlatformKind.CloudRun ? "-" : target.ImageFor("t1")).Append('\n');
            }
        }

        foreach (var lane in matrix.Lanes)
        {
            text.Append("== build ").Append(lane.Name).Append(": ").Append(TargetResolver.BuildPlatform(matrix, lane, null))
                .Append(", project ").Append(TargetResolver.BuildProject(lane, null) ?? "-").Append(", env ")
                .Append(string.Join(",", TargetResolver.Env(lane, null).Select(p => $"{p.Key}={p.Value}"))).Append('\n');
        }

        GoldenFile.Match($"targets-{name}.txt", text.ToString());
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public void EveryPlan_IsAsOnRecord_InStepsNotesAndCommands(string name)
    {
        var matrix = Load(name);
        var text = new StringBuilder();
        foreach (var lane in matrix.Lanes)
        {
            // A lane without targets (or a frozen one) plans the same everywhere: once is enough.
            var deployable = lane.Targets.Count > 0 && lane.Status == LaneStatus.Canonical;
            var environments = deployable ? lane.Targets.Select(t => (string?)t.Environment).Append(null) : [null];
            foreach (var env in environments)
            {
                foreach (var platform in deployable ? new PlatformKind?[] { null, PlatformKind.Local, PlatformKind.CloudRun } : [null])
                {
                    foreach (var (request, i) in Requests(lane.Name, env, platform, env is null ? lane.Name : lane.FindTarget(env)!.Service).Select((r, i) => (r, i)))
                    {
                        // The plan as JSON (what plan --output json prints) for the default action only: one shape, not every line again.
                        Describe(text, matrix, request, withJson: i == 0);
                    }
                }
            }
        }

        Describe(text, matrix, new PlanRequest { Lane = matrix.Lanes[0].Name, Environment = "qa", Tag = "t1" }, withJson: false);
        Describe(text, matrix, new PlanRequest { Lane = "nope", Environment = "staging", Tag = "t1" }, withJson: false);
        GoldenFile.Match($"plans-{name}.txt", text.ToString());
    }

    [Theory]
    [MemberData(nameof(AllMatrices))]
    public void TheRenderedMap_IsAsOnRecord(string name) =>
        GoldenFile.Match($"map-{name}.md", DeployMapRenderer.Render(Load(name)));

    /// <summary>
    /// An environment in several regions: each action planned over all of them (a plan per region, in wave order),
    /// for one region (<c>--region</c>), and refused for a region the lane does not run in — on each platform.
    /// </summary>
    [Fact]
    public void EveryRegionPlan_IsAsOnRecord_InWavesStepsAndCommands()
    {
        var matrix = Load("regions");
        var text = new StringBuilder();
        foreach (var lane in matrix.Lanes)
        {
            foreach (var env in lane.TargetEnvironments)
            {
                foreach (var platform in new PlatformKind?[] { null, PlatformKind.Local, PlatformKind.CloudRun })
                {
                    var basic = new PlanRequest { Lane = lane.Name, Environment = env, Platform = platform };
                    var regions = lane.TargetsIn(env).Select(t => t.Region).ToList();
                    PlanRequest[] requests =
                    [
                        basic with { Tag = "t1" },
                        basic with { Action = PlanAction.Rollout, Tag = "t1" },
                        basic with { Action = PlanAction.Rollback },
                        basic with { Action = PlanAction.Migrate },
                        basic with { Action = PlanAction.Build, Tag = "t1" },
                        basic with { Tag = "t1", Region = regions[^1] },
                        basic with { Tag = "t1", Region = "mars-north1" },
                    ];
                    foreach (var request in requests)
                    {
                        var waves = Planner.PlanWaves(matrix, request);
                        text.Append("=== ").Append(lane.Name).Append(' ').Append(env).Append(' ').Append(platform?.ToString() ?? "written")
                            .Append(' ').Append(request.Action is { } a ? PlanActions.Name(a) : "default").Append(request.Region is null ? "" : " region=" + request.Region)
                            .Append(": ").Append(waves.Ok ? $"{waves.Plans.Count} wave(s), {WaveOrders.Name(waves.Order)}" : $"error {waves.ExitCode}: {waves.Error}").Append('\n');
                        foreach (var plan in waves.Plans)
                        {
                            Describe(text, matrix, request with { Region = plan.Region ?? request.Region }, withJson: plan == waves.Plans[0]);
                        }
                    }
                }
            }
        }

        GoldenFile.Match("plans-regions.txt", text.ToString());
    }

    [Fact]
    public void TheExamplesCommittedMap_IsItsRendering()
    {
        var committed = File.ReadAllText(Path.Combine(Path.GetDirectoryName(RepoPaths.Example)!, "DEPLOY_MATRIX.md")).ReplaceLineEndings("\n");

        Assert.Equal(committed, DeployMapRenderer.Render(Load("example")));
    }

    /// <param name="service">Names revisions as the platform does: the service, a hyphen, a suffix.</param>
    private static IEnumerable<PlanRequest> Requests(string lane, string? env, PlatformKind? platform, string service)
    {
        var basic = new PlanRequest { Lane = lane, Environment = env, Platform = platform };
        yield return basic with { Tag = "t1" };
        yield return basic;
        yield return basic with { Action = PlanAction.Build, Tag = "t1" };
        yield return basic with { Action = PlanAction.Deploy, Tag = "t1", NoTraffic = true };
        yield return basic with { Action = PlanAction.Migrate };
        yield return basic with { Action = PlanAction.Migrate, Tag = "t1" };
        yield return basic with { Action = PlanAction.SetTraffic, Percent = 25 };
        yield return basic with { Action = PlanAction.SetTraffic, Percent = 25, Stable = $"{service}-s-1", Canary = $"{service}-c-2" };
        yield return basic with { Action = PlanAction.SetTraffic, Percent = 5, Stable = "a=1,b", Canary = $"{service}-c-2" };
        yield return basic with { Action = PlanAction.SetTraffic, Stable = $"{service}-s-1" };
        yield return basic with { Action = PlanAction.SetTraffic, Percent = 101 };
        yield return basic with { Action = PlanAction.SetTraffic, Percent = 50, Stable = $"{service}-same", Canary = $"{service}-same" };
        yield return basic with { Action = PlanAction.SetTraffic, Splits = [($"{service}-a-1", 90), ("LATEST", 10)] };
        yield return basic with { Action = PlanAction.SetTraffic, Splits = [($"{service}-a-1", 90), ($"{service}-a-1", 10)] };
        yield return basic with { Action = PlanAction.SetTraffic, Splits = [($"{service}-a-1", 90)] };
        yield return basic with { Action = PlanAction.Rollback };
        yield return basic with { Action = PlanAction.Rollback, Stable = $"{service}-s-1" };
        yield return basic with { Action = PlanAction.Status };
        yield return basic with { Action = PlanAction.Rollout };
        yield return basic with { Action = PlanAction.Rollout, Tag = "t1" };
        yield return basic with { Action = PlanAction.Run, Args = ["status", "--json"] };
        yield return basic with { Action = PlanAction.Run };
        yield return basic with { Action = PlanAction.Run, Args = ["php", "artisan", "migrate"] };
        yield return basic with { Action = PlanAction.Run, Args = ["php", "artisan", "migrate"], Unfreeze = true };
        yield return basic with { Action = PlanAction.Deploy, Tag = "t1", Unfreeze = true };
    }

    private static void Describe(StringBuilder text, Matrix matrix, PlanRequest request, bool withJson)
    {
        text.Append("== ").Append(request.Lane).Append(' ').Append(request.Environment ?? "-").Append(' ').Append(request.Platform?.ToString() ?? "written")
            .Append(' ').Append(request.Action is { } a ? PlanActions.Name(a) : "default")
            .Append(request.Tag is null ? "" : " tag=" + request.Tag)
            .Append(request.NoTraffic ? " no-traffic" : "")
            .Append(request.Percent is { } p ? $" percent={p}" : "")
            .Append(request.Stable is null ? "" : " stable=" + request.Stable)
            .Append(request.Canary is null ? "" : " canary=" + request.Canary)
            .Append(request.Splits is null ? "" : " to=" + string.Join(",", request.Splits.Select(s => $"{s.Revision}={s.Percent}")))
            .Append(request.Args.Count == 0 ? "" : " args=" + string.Join(" ", request.Args))
            .Append(request.Unfreeze ? " unfreeze" : "")
            .Append(request.Region is null ? "" : " region=" + request.Region)
            .Append('\n');
        var planned = Planner.Plan(matrix, request);
        if (planned.Plan is not { } plan)
        {
            text.Append("error ").Append(planned.ExitCode).Append(": ").Append(planned.Error).Append('\n');
            return;
        }

        text.Append("plan ").Append(PlanActions.Name(plan.Action)).Append(' ').Append(plan.Lane).Append(" env=").Append(plan.Environment ?? "-")
            .Append(" platform=").Append(plan.Platform is { } k ? PlatformNames.Name(k) : "-").Append(" tag=").Append(plan.Tag ?? "-")
            .Append(" target=").Append(plan.Target?.ToString() ?? "-").Append(plan.Region is null ? "" : " region=" + plan.Region).Append('\n');
        foreach (var step in plan.Steps)
        {
            text.Append("  ").Append(step.KindName).Append(": ").Append(step.Describe()).Append('\n');
        }

        foreach (var note in plan.Notes)
        {
            text.Append("  note: ").Append(note).Append('\n');
        }

        foreach (var line in ShellRenderer.Render(plan).TrimEnd('\n').Split('\n'))
        {
            text.Append("  $ ").Append(line).Append('\n');
        }

        if (withJson)
        {
            text.Append("  json: ").Append(JsonSerializer.Serialize(plan, OneLine)).Append('\n');
        }
    }

    private static Matrix Load(string name)
    {
        var path = name == "example" ? RepoPaths.Example : Path.Combine(RepoPaths.Corpus("good"), $"{name}.yaml");
        var loaded = MatrixLoader.Load(path, $"{name}.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Diagnostics));
        return loaded.Matrix!;
    }
}
