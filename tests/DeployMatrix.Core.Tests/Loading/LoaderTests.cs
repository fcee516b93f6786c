using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Core.Tests.Loading;

public sealed class LoaderTests
{
    private const string Head = "matrix: { title: T, status: active, updated: 2026-01-01 }\nenvironments: [staging, production]\n";

    [Fact]
    public void Example_LoadsAsTheSeedDescribesIt()
    {
        var result = MatrixLoader.Load(RepoPaths.Example);

        Assert.True(result.Ok, string.Join('\n', result.Diagnostics));
        var matrix = result.Matrix!;
        Assert.Equal("active", matrix.Info.Status);
        Assert.Equal(new DateOnly(2026, 2, 21), matrix.Info.Updated);
        Assert.Equal(["staging", "production"], matrix.Environments.Select(e => e.Name));
        Assert.True(matrix.FindEnvironment("production")!.NoTraffic);
        var runtime = matrix.FindLane("runtime")!;
        Assert.Equal("runtime-migrate", runtime.Migration!.Job);
        Assert.True(runtime.Migration.Mandatory);
        Assert.Equal("runtime-migrate-staging", runtime.Migration.JobFor(runtime.FindTarget("staging")!));
        Assert.Equal([0, 5, 25, 50, 100], matrix.Defaults.Rollout.Stages);
        Assert.Equal(TimeSpan.FromMinutes(10), matrix.Defaults.Rollout.Window);
        Assert.Equal(1, matrix.Defaults.Rollout.Gates.Max5xxRatePercent);
        Assert.Equal(20, matrix.Defaults.Rollout.Gates.MaxP95RegressionPercent);
        Assert.Equal(LaneStatus.Legacy, matrix.FindLane("openagents-web")!.Status);
        Assert.Equal(PlatformKind.CloudRun, runtime.FindTarget("production")!.Platform);
        Assert.Equal("openagentsgemini", runtime.FindTarget("production")!.Project);
    }

    [Fact]
    public void Load_ReportsEveryErrorInOneRun()
    {
        var text = Head + """
            lanes:
              api:
                kindd: service
                image: r/api:latest
                rollout: { stages: [50, 25, 100], window: forever }
                build: { local: { command: make, artifact: out/api } }
                targets: { staging: { port: 1 }, production: { port: 2 } }
            """;

        var result = MatrixLoader.Parse("m.yaml", text);

        Assert.Equal(4, result.Diagnostics.Count);
        Assert.Equal(["unknown-key", "image-tag", "stages", "type"], result.Diagnostics.Select(d => d.Code));
        Assert.Equal([5, 6, 7, 7], result.Diagnostics.Select(d => d.Pos.Line));
    }

    [Fact]
    public void Load_UnknownKey_SuggestsTheClosestKnownKey()
    {
        var result = MatrixLoader.Parse("m.yaml", Head + "lanes:\n  api:\n    biuld: {}\n");

        Assert.Contains(result.Diagnostics, d => d.ToString() == "m.yaml:5:5: unknown key 'biuld' in lane 'api' (did you mean 'build'?)");
    }

    [Fact]
    public void Load_AnchorsAndMergeKeys_ShareTargetsAcrossLanes()
    {
        var text = Head + """
            lanes:
              api:
                build: &build { local: { command: make, artifact: out/app } }
                targets:
                  staging: &local { platform: local }
                  production: { <<: *local, port: 18001 }
              web:
                build: *build
                targets: { staging: *local, production: { <<: *local, port: 18002 } }
            """;

        var result = MatrixLoader.Parse("m.yaml", text);

        Assert.True(result.Ok, string.Join('\n', result.Diagnostics));
        Assert.Equal(18002, result.Matrix!.FindLane("web")!.FindTarget("production")!.Port);
        Assert.Equal("make", result.Matrix.FindLane("web")!.Build!.Local!.Command.Text);
    }

    [Fact]
    public void Load_LaneRolloutOverridesOnlyWhatItNames()
    {
        var text = """
            matrix: { title: T, status: active, updated: 2026-01-01 }
            defaults: { rollout: { stages: [10, 100], window: 2m, gates: { min-requests: 7 } } }
            environments: [staging]
            lanes:
              api:
                build: { local: { command: make, artifact: out/api } }
                targets: { staging: {} }
                rollout: { window: 45s, gates: { max-5xx-rate: 0.5% } }
            """;

        var rollout = MatrixLoader.Parse("m.yaml", text).Matrix!.FindLane("api")!.Rollout!;

        Assert.Equal([10, 100], rollout.Stages);
        Assert.Equal(TimeSpan.FromSeconds(45), rollout.Window);
        Assert.Equal(0.5, rollout.Gates.Max5xxRatePercent);
        Assert.Equal(7, rollout.Gates.MinRequests);
        Assert.Equal(20, rollout.Gates.MaxP95RegressionPercent);
    }

    [Fact]
    public void Load_MissingFile_IsOneDiagnosticWithoutPosition()
    {
        var result = MatrixLoader.Load("/nonexistent/deploymatrix.yaml");

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.StartsWith("/nonexistent/deploymatrix.yaml: cannot read the matrix", diagnostic.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Locator_FindsTheNearestMatrixUpwards_AsGitFindsDotGit()
    {
        using var dir = new TempDir();
        var outer = dir.Write("deploymatrix.yaml", "outer");
        var inner = dir.Write("apps/deploymatrix.yaml", "inner");
        Directory.CreateDirectory(Path.Combine(dir.Path, "apps", "svc", "src"));

        Assert.Equal(inner, MatrixLocator.Locate(null, Path.Combine(dir.Path, "apps", "svc", "src")).Path);
        Assert.Equal(outer, MatrixLocator.Locate(null, dir.Path).Path);
        Assert.Equal(outer, MatrixLocator.Locate("deploymatrix.yaml", dir.Path).Path);
        Assert.Contains("does not exist", MatrixLocator.Locate("missing.yaml", dir.Path).Error, StringComparison.Ordinal);
        Directory.CreateDirectory(Path.Combine(dir.Path, "empty"));
        Assert.Equal("'empty' is a folder without a deploymatrix.yaml; pass the matrix file itself with --file PATH, or a folder that holds one",
            MatrixLocator.Locate("empty", dir.Path).Error);
        Assert.Equal(inner, MatrixLocator.Locate("apps", dir.Path).Path);
    }

    [Fact]
    public void Locator_DoesNotClimbAboveTheRepositoryRoot_SoAMatrixPlantedAboveItIsIgnored()
    {
        using var dir = new TempDir();
        dir.Write("deploymatrix.yaml", "planted in a shared parent");
        Directory.CreateDirectory(Path.Combine(dir.Path, "repo", ".git"));
        var src = Directory.CreateDirectory(Path.Combine(dir.Path, "repo", "src")).FullName;

        var (path, error) = MatrixLocator.Locate(null, src);

        Assert.Null(path);
        Assert.StartsWith("no deploymatrix.yaml in ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Locator_StopsAtAWorktreesDotGitFile_AndStillFindsTheMatrixAtTheRoot()
    {
        using var dir = new TempDir();
        dir.Write("deploymatrix.yaml", "planted in a shared parent");
        dir.Write("repo/.git", "gitdir: /elsewhere");
        Directory.CreateDirectory(Path.Combine(dir.Path, "repo", "src"));

        Assert.Null(MatrixLocator.Locate(null, Path.Combine(dir.Path, "repo", "src")).Path);
        var own = dir.Write("repo/deploymatrix.yaml", "the repository's");
        Assert.Equal(own, MatrixLocator.Locate(null, Path.Combine(dir.Path, "repo", "src")).Path);
    }

    [Fact]
    public void Locator_DoesNotClimbAboveHome_OutsideAnyRepository()
    {
        using var dir = new TempDir();
        dir.Write("deploymatrix.yaml", "planted above home");
        var home = Directory.CreateDirectory(Path.Combine(dir.Path, "home", "alice")).FullName;
        var work = Directory.CreateDirectory(Path.Combine(home, "scratch")).FullName;

        Assert.Null(MatrixLocator.Locate(null, work, home).Path);
        Assert.Null(MatrixLocator.Locate(null, work, home + "/").Path);
        Assert.Equal(Path.Combine(dir.Path, "deploymatrix.yaml"), MatrixLocator.Locate(null, work).Path);
    }

    [Fact]
    public void Locator_RefusesADiscoveredMatrixTheUserDoesNotOwn_ButTakesANamedOne()
    {
        using var dir = new TempDir();
        var planted = dir.Write("deploymatrix.yaml", "someone else's");

        var (path, error) = MatrixLocator.Locate(null, dir.Path, ownedByUser: _ => false);

        Assert.Null(path);
        Assert.Equal($"refusing {planted}: it (or its folder, or a link to it) is owned by another user, and a matrix's build and gate commands run as you; pass --file {planted} if you trust it", error);
        Assert.Equal(planted, MatrixLocator.Locate(planted, dir.Path, ownedByUser: _ => false).Path);
    }

    [Theory]
    [InlineData("10m", 600)]
    [InlineData("30s", 30)]
    [InlineData("1h", 3600)]
    [InlineData("1m30s", 90)]
    [InlineData("500ms", 0.5)]
    public void Durations_AreReadWithTheirUnits(string text, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Core.Model.Durations.Parse(text));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("10 minutes")]
    [InlineData("m10")]
    [InlineData("")]
    public void Durations_WithoutAUnit_AreRejected(string text)
    {
        Assert.Null(Core.Model.Durations.Parse(text));
    }
}
