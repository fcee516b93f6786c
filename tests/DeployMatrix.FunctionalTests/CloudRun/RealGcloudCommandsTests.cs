using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// Every command <c>plan --format shell</c> prints for the example's Cloud Run lanes — build, deploys with
/// the tag flow, traffic, rollback, migration, status, tag removal and the reads that name STABLE, CANARY
/// and the old tags — run through the real gcloud (<see cref="RealGcloud"/>): gcloud must accept every
/// argument and flag and send its request. The stand-in gcloud stays for outcomes; this holds the words.
/// </summary>
public sealed class RealGcloudCommandsTests : IDisposable
{
    private readonly TempDir _dir = TempDir.CopyOfExample();

    [Fact]
    public async Task EveryCommandTheExamplesPlansPrint_IsAcceptedByTheRealGcloud()
    {
        using var gcloud = new RealGcloud(_dir.Path);
        var commands = ExampleCommands();
        Assert.True(commands.Count >= 20, string.Join("\n", commands.Select(c => ShellRenderer.Join(c))));
        Assert.Contains(commands, c => c.Contains("--tag") && c.Contains("--no-traffic") && c.Contains("--quiet"));
        Assert.Contains(commands, c => c.Contains("--remove-tags"));
        Assert.Contains(commands, c => c.Contains("--to-tags"));
        Assert.Contains(commands, c => c.Contains("--command") && c.Contains("--args"));
        Assert.Contains(commands, c => c.Contains("--to-revisions") && c.Contains("--update-tags"));

        foreach (var command in commands)
        {
            var sent = gcloud.Requests.Count;
            var (exit, output) = await gcloud.RunAsync(command.Skip(1), _dir.Path);

            var line = ShellRenderer.Join(command);
            Assert.True(exit == 1 && output.Contains(RealGcloud.Refusal, StringComparison.Ordinal), $"{line}\nexited {exit}:\n{output}");
            Assert.True(gcloud.Requests.Count > sent, $"{line}\nsent no request:\n{output}");
        }
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>The example's shell plans, each command once, with the run-time placeholders filled as the executor fills them.</summary>
    private List<IReadOnlyList<string>> ExampleCommands()
    {
        var matrix = MatrixLoader.Load(Path.Combine(_dir.Path, "deploymatrix.yaml")).Matrix!;
        var requests = new List<PlanRequest>();
        foreach (var lane in matrix.Lanes.Where(l => l.Targets.Any(t => t.Platform == PlatformKind.CloudRun) && l.Status != LaneStatus.Legacy))
        {
            requests.Add(new PlanRequest { Lane = lane.Name, Action = PlanAction.Build, Tag = "abc1234" });
            foreach (var env in lane.Targets.Select(t => t.Environment))
            {
                requests.Add(new PlanRequest { Lane = lane.Name, Environment = env, Action = PlanAction.Deploy, Tag = "abc1234" });
                requests.Add(new PlanRequest { Lane = lane.Name, Environment = env, Action = PlanAction.SetTraffic, Percent = 5 });
                requests.Add(new PlanRequest { Lane = lane.Name, Environment = env, Action = PlanAction.Rollback });
                requests.Add(new PlanRequest { Lane = lane.Name, Environment = env, Action = PlanAction.Status });
                requests.Add(new PlanRequest { Lane = lane.Name, Environment = env, Action = PlanAction.Rollout, Tag = "abc1234" });
                if (lane.Migration is not null)
                {
                    requests.Add(new PlanRequest { Lane = lane.Name, Environment = env, Action = PlanAction.Migrate });
                }
            }
        }

        var commands = new List<IReadOnlyList<string>>();
        foreach (var request in requests)
        {
            var plan = Planner.Plan(matrix, request).Plan ?? throw new InvalidOperationException(Planner.Plan(matrix, request).Error);
            foreach (var step in plan.Steps)
            {
                var reads = step switch
                {
                    SetTraffic t when GcloudCommands.Resolve(t) is { } read => [read],
                    RemoveTrafficTags r => [GcloudCommands.Resolve(r)],
                    _ => new List<IReadOnlyList<string>>(),
                };
                // A rollout's 0% split also tags a canary that has no traffic tag, in the same update.
                var tagging = step is SetTraffic { Splits: [_, { Percent: 0 }] } zero
                    ? [GcloudCommands.Tagging(GcloudCommands.For(zero)[0], [("dm-abc1234", "CANARY")])]
                    : new List<IReadOnlyList<string>>();
                foreach (var command in reads.Concat(GcloudCommands.For(step)).Concat(tagging).Select(Filled))
                {
                    if (!commands.Any(c => c.SequenceEqual(command)))
                    {
                        commands.Add(command);
                    }
                }
            }
        }

        return commands;
    }

    /// <summary>The words as the executor runs them: roles named, the old tags listed, the service's image read.</summary>
    private static IReadOnlyList<string> Filled(IReadOnlyList<string> command) =>
        [.. command.Select(w => w
            .Replace("STABLE=", "runtime-00001-abc=", StringComparison.Ordinal)
            .Replace("CANARY=", "runtime-00002-def=", StringComparison.Ordinal)
            .Replace("=CANARY", "=runtime-00002-def", StringComparison.Ordinal)
            .Replace(GcloudCommands.OldTags, "dm-0000001,dm-0000002", StringComparison.Ordinal)
            .Replace(ImageRefs.ServiceCurrent, "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:abc1234", StringComparison.Ordinal))];
}
