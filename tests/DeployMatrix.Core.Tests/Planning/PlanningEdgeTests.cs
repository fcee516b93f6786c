using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;

namespace DeployMatrix.Core.Tests.Planning;

/// <summary>The planner at its edges: bounds met exactly, one revision pinned and one not, arguments in the first word, what shell output says.</summary>
public sealed class PlanningEdgeTests
{
    private const string Yaml = """
        matrix: { title: Edges, status: active, updated: 2026-01-01 }
        environments: [staging, production]
        defaults: { project: demo-project, region: us-central1 }
        lanes:
          api:
            description: the public API
            image: us-docker.pkg.dev/p/r/api:<TAG>
            build:
              cloudbuild: { config: cloudbuild.yaml, substitutions: { _Z: last, _A: first, _M: middle } }
            targets:
              staging: { platform: cloudrun, service: api-staging }
              production: { platform: cloudrun, service: api }
            smoke: [{ path: /readyz, contains: ready }]
          any:
            kind: binary
            run: <command>
            build:
              local: { command: cargo build, artifact: target/debug/any }
            env: { MODE: lane }
            targets:
              staging: { env: { MODE: staging } }
          old:
            status: legacy
        """;

    private static readonly Matrix Matrix = Load();

    [Fact]
    public void ExplicitTraffic_TakesEveryBoundExactly_AndRefusesPercentsThatOnlySumTo100()
    {
        Assert.Null(Traffic(("api-a", 0), ("api-b", 100)).Error);
        Assert.Null(Traffic(("api-a", 100)).Error);
        Assert.StartsWith("traffic percents must be integers 0..100 that sum to 100", Traffic(("api-a", 101), ("api-b", -1)).Error, StringComparison.Ordinal);
        // One share out of range is enough, even beside one in range and with the sum right.
        Assert.StartsWith("traffic percents must be integers 0..100 that sum to 100", Traffic(("api-a", 110), ("api-b", -20), ("api-c", 10)).Error, StringComparison.Ordinal);
        Assert.StartsWith("traffic percents must be integers 0..100 that sum to 100", Traffic().Error, StringComparison.Ordinal);
        Assert.Equal("revision 'api-a' appears twice in --to; name each revision once", Traffic(("api-a", 50), ("api-a", 50)).Error);
    }

    [Theory]
    [InlineData("a=1,b", null)]
    [InlineData(null, "c,api-x=50")]
    [InlineData("runtime-00001-abc", null)]
    [InlineData("api-00001-ABC", null)]
    [InlineData("api-", null)]
    [InlineData(null, "api-00001-abc\n--to-revisions")]
    public void ARevisionThatIsNoRevisionOfTheService_IsRefused_BeforeAnyCommandIsBuilt(string? stable, string? canary)
    {
        var result = Planner.Plan(Matrix, new PlanRequest { Lane = "api", Environment = "production", Action = PlanAction.SetTraffic, Percent = 5, Stable = stable, Canary = canary });

        Assert.Null(result.Plan);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains($"revision '{stable ?? canary}' is not a revision of api: a revision name is the service's name, a hyphen and a suffix", result.Error, StringComparison.Ordinal);
        Assert.Contains("e.g. api-00042-abc", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ASplitOrARollback_NamingNoRevisionOfTheService_IsRefused_AndLatestStaysAllowed()
    {
        Assert.StartsWith("revision 'api-1=1,b' is not a revision of api", Traffic(("api-1=1,b", 50), ("api-2", 50)).Error, StringComparison.Ordinal);
        Assert.Null(Traffic(("api-00001-abc", 50), ("LATEST", 50)).Error);
        var rollback = Planner.Plan(Matrix, new PlanRequest { Lane = "api", Environment = "staging", Action = PlanAction.Rollback, Stable = "api-00001-abc" });
        Assert.StartsWith("revision 'api-00001-abc' is not a revision of api-staging", rollback.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ACanaryShift_WithOneRevisionPinned_StillNotesTheOtherIsResolvedWhenItRuns()
    {
        var bothPinned = Plan(new PlanRequest { Lane = "api", Environment = "production", Action = PlanAction.SetTraffic, Percent = 5, Stable = "api-s", Canary = "api-c" });
        var stablePinned = Plan(new PlanRequest { Lane = "api", Environment = "production", Action = PlanAction.SetTraffic, Percent = 5, Stable = "api-s" });
        var canaryPinned = Plan(new PlanRequest { Lane = "api", Environment = "production", Action = PlanAction.SetTraffic, Percent = 5, Canary = "api-c" });

        Assert.Empty(bothPinned.Notes);
        Assert.StartsWith("STABLE is the stable revision", Assert.Single(stablePinned.Notes), StringComparison.Ordinal);
        Assert.StartsWith("STABLE is the stable revision", Assert.Single(canaryPinned.Notes), StringComparison.Ordinal);
    }

    [Fact]
    public void Gcloud_ReadsTheServiceFirst_WhenAnyRevisionIsARole_AndNotWhenEveryOneIsNamed()
    {
        var target = Plan(new PlanRequest { Lane = "api", Environment = "production", Action = PlanAction.Status }).Target!.Ref;

        var mixed = GcloudCommands.Resolve(new SetTraffic(target, [new TrafficSplit(RevisionRef.Named("s"), 90), new TrafficSplit(RevisionRef.Canary, 10)]));
        var named = GcloudCommands.Resolve(new SetTraffic(target, [new TrafficSplit(RevisionRef.Named("s"), 90), new TrafficSplit(RevisionRef.Named("c"), 10)]));

        Assert.Equal("gcloud run services describe api --project demo-project --region us-central1 --format json", string.Join(' ', mixed!));
        Assert.Null(named);
    }

    [Fact]
    public void ACloudBuild_PassesTheTagFirst_ThenTheSubstitutionsByName()
    {
        var build = Assert.IsType<BuildImage>(Assert.Single(Plan(new PlanRequest { Lane = "api", Environment = "staging", Action = PlanAction.Build, Tag = "abc1234" }).Steps));

        Assert.Equal(["_TAG", "_A", "_M", "_Z"], build.Substitutions.Keys);
        Assert.Contains("--substitutions _TAG=abc1234,_A=first,_M=middle,_Z=last", string.Join(' ', GcloudCommands.For(build)[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void ALaneWithoutALocalBuild_CannotBeBuiltForTheLocalPlatform()
    {
        var result = Planner.Plan(Matrix, new PlanRequest { Lane = "api", Action = PlanAction.Build, Tag = "abc1234", Platform = PlatformKind.Local });

        Assert.Equal((ExitCodes.BadInput, "lane 'api' has no 'build.local' command, so it cannot be built for the local platform"), (result.ExitCode, result.Error));
    }

    [Fact]
    public void Run_PutsTheArgumentsWhereThePlaceholderStands_EvenAsTheFirstWord()
    {
        var run = Assert.IsType<RunBinary>(Assert.Single(Plan(new PlanRequest { Lane = "any", Action = PlanAction.Run, Args = ["echo", "hi"] }).Steps));
        var none = Planner.Plan(Matrix, new PlanRequest { Lane = "any", Action = PlanAction.Run });

        Assert.Equal(["echo", "hi"], run.Command);
        Assert.Equal(ExitCodes.BadInput, none.ExitCode);
    }

    [Fact]
    public void Run_InAnEnvironment_TakesTheTargetsEnv_OverTheLanes()
    {
        var inStaging = Assert.IsType<RunBinary>(Assert.Single(Plan(new PlanRequest { Lane = "any", Environment = "staging", Action = PlanAction.Run, Args = ["x"] }).Steps));
        var nowhere = Assert.IsType<RunBinary>(Assert.Single(Plan(new PlanRequest { Lane = "any", Action = PlanAction.Run, Args = ["x"] }).Steps));

        Assert.Equal("staging", inStaging.Env["MODE"]);
        Assert.Equal("lane", nowhere.Env["MODE"]);
    }

    [Fact]
    public void AFrozenLane_IsNamed_WithItsDescriptionWhenItHasOne()
    {
        Assert.Equal("lane 'old' is a frozen legacy lane; use a canonical lane: api, any", Planner.Frozen(Matrix, Matrix.Lanes.Single(l => l.Name == "old")));
        Assert.Equal("lane 'api' is a frozen legacy lane (the public API); use a canonical lane: api, any", Planner.Frozen(Matrix, Matrix.Lanes.Single(l => l.Name == "api")));
    }

    [Fact]
    public void TheShellForm_SaysWhatTheSmokeCheckExpects_InTheBodyToo()
    {
        var steps = Plan(new PlanRequest { Lane = "api", Environment = "staging", Action = PlanAction.Deploy, Tag = "abc1234" }).Steps;
        var smoke = Assert.Single(steps.OfType<RunSmokeCheck>());

        Assert.Equal("#   then GET $URL/readyz (done natively), expecting 200 and 'ready' in the body", ShellRenderer.Lines(smoke)[^1]);
        Assert.Equal("#   then GET $URL/readyz (done natively), expecting 200", ShellRenderer.Lines(smoke with { Contains = null })[^1]);
    }

    [Fact]
    public void TheShellForm_KeepsAnExpectedBodyWithANewline_InsideItsComment()
    {
        var steps = Plan(new PlanRequest { Lane = "api", Environment = "staging", Action = PlanAction.Deploy, Tag = "abc1234" }).Steps;
        var smoke = Assert.Single(steps.OfType<RunSmokeCheck>()) with { Contains = "ok\nrm -rf \"$HOME\"\r\u001b[2K" };

        var lines = string.Join('\n', ShellRenderer.Lines(smoke)).Split('\n');

        Assert.Equal("#   then GET $URL/readyz (done natively), expecting 200 and 'ok\\nrm -rf \"$HOME\"\\r\\u001b[2K' in the body", lines[^1]);
        Assert.DoesNotContain(lines, l => l.StartsWith("rm", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("abc1234", true)]
    [InlineData("v1.2.3-rc_1", true)]
    [InlineData("_x", true)]
    [InlineData(".x", false)]
    [InlineData("-x", false)]
    [InlineData("a/b", false)]
    [InlineData("", false)]
    [InlineData("___", false)]
    public void ImageTags_FollowTheOciGrammar(string tag, bool valid)
    {
        var error = ImageTags.Validate(tag);

        Assert.Equal(valid, error is null);
        if (!valid)
        {
            Assert.Equal($"tag '{tag}' is not a valid image tag; use letters, digits, '_', '.', '-' (at most 128, not starting with '.' or '-', at least one letter or digit), e.g. the short git SHA", error);
        }
    }

    [Fact]
    public void ImageTags_AreAtMost128Characters()
    {
        Assert.Null(ImageTags.Validate(new string('a', 128)));
        Assert.NotNull(ImageTags.Validate(new string('a', 129)));
    }

    private static PlanResult Traffic(params (string Revision, int Percent)[] splits) =>
        Planner.Plan(Matrix, new PlanRequest { Lane = "api", Environment = "production", Action = PlanAction.SetTraffic, Splits = splits });

    private static Plan Plan(PlanRequest request)
    {
        var result = Planner.Plan(Matrix, request);
        Assert.True(result.Plan is not null, result.Error);
        return result.Plan!;
    }

    private static Matrix Load() => InlineMatrix.Load(Yaml, "steps: [{ name: gcr.io/cloud-builders/docker, args: [build, --build-arg, \"ORDER=$_A $_M $_Z\", -t, \"api:$_TAG\", .] }]\n");
}
