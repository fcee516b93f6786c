using DeployMatrix.Core.Loading;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Core.Tests.Validation;

/// <summary>
/// Cloud Build's substitution rules read from the config itself: which spellings count as a use, what
/// ALLOW_LOOSE excuses, and that every problem points into the matrix. The corpus holds one broken
/// matrix per rule; these are the edges.
/// </summary>
public sealed class CloudBuildRulesTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Theory]
    [InlineData("$_REGION")]
    [InlineData("${_REGION}")]
    [InlineData("eu-$_REGION-1")]
    [InlineData("$$$_REGION")] // an escaped dollar, then the use
    public void AKeyTheConfigUses_InEitherSpelling_IsAccepted(string use)
    {
        var result = Load(Config($"\"REGION={use}\""), "{ _REGION: eu }");

        Assert.Empty(result.Diagnostics);
    }

    [Theory]
    [InlineData("$$_REGION")] // Cloud Build's escaped dollar: the literal text $_REGION
    [InlineData("$_REGIONAL")] // another key: Cloud Build reads the longest run of key characters
    [InlineData("$_region")]
    [InlineData("$REGION")]
    public void AKeyTheConfigOnlySeemsToUse_IsUnused_AndReportedAtTheKeyInTheMatrix(string use)
    {
        var result = Load(Config($"\"REGION={use}\""), "{ _REGION: eu }");

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(("substitution", 6, 70), (diagnostic.Code, diagnostic.Pos.Line, diagnostic.Pos.Column));
        Assert.StartsWith("substitution '_REGION' of lane 'api' is never used by its Cloud Build config 'cloudbuild.yaml'", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AUseInAComment_OrAsAMappingKey_IsNoUse()
    {
        var result = Load(Config("build") + "# uses $_REGION\noptions:\n  env: { $_REGION: x }\n", "{ _REGION: eu }");

        Assert.Contains("'_REGION' of lane 'api' is never used", Assert.Single(result.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AUseAnywhereInTheConfig_Counts_NotOnlyInStepsAndImages()
    {
        var result = Load(Config("build") + "serviceAccount: \"projects/p/serviceAccounts/${_SA}\"\n", "{ _SA: builder }");

        Assert.Empty(result.Diagnostics);
    }

    [Theory]
    [InlineData("substitutionOption")]
    [InlineData("substitution_option")]
    public void AllowLoose_ExcusesUnusedKeys_InBothSpellings(string field)
    {
        var result = Load(Config("build") + $"options:\n  {field}: ALLOW_LOOSE\n", "{ _UNUSED: x, _ALSO: y }");

        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void MustMatch_IsNoExcuse_AndEveryUnusedKeyIsReportedAtItsOwnPosition()
    {
        var result = Load(Config("build") + "options:\n  substitutionOption: MUST_MATCH\n", "{ _B: x, _A: y }");

        Assert.Equal([(6, 70, "_B"), (6, 77, "_A")], result.Diagnostics.Select(d => (d.Pos.Line, d.Pos.Column, d.Message.Split('\'')[1])));
    }

    [Fact]
    public void TheTag_MustBeUsed_EvenWithAllowLoose_AndIsReportedAtTheConfigPath()
    {
        var result = Load("steps: [{ name: gcr.io/cloud-builders/docker, args: [build, -t, api:latest, .] }]\noptions: { substitutionOption: ALLOW_LOOSE }\n", "{ _UNUSED: x }");

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal((6, 36), (diagnostic.Pos.Line, diagnostic.Pos.Column));
        Assert.Equal("Cloud Build config 'cloudbuild.yaml' of lane 'api' never uses $_TAG (or ${_TAG}), which every build sets to the tag (ALLOW_LOOSE does not excuse it): the image it pushes must carry the tag the lane deploys, e.g. 'images: [r/api:$_TAG]'", diagnostic.Message);
    }

    [Fact]
    public void TwoLanesSharingAConfig_AreEachHeldToIt()
    {
        _dir.Write("cloudbuild.yaml", Config("build"));
        var yaml = Matrix("{ _ONE: x }") + """
              web:
                build:
                  cloudbuild: { config: cloudbuild.yaml, substitutions: { _TWO: y } }
                image: r/web:<TAG>
                targets: { staging: { service: web-staging }, production: { service: web-production } }

            """;

        var result = MatrixLoader.Parse(Path.Combine(_dir.Path, "deploymatrix.yaml"), yaml);

        Assert.Equal(["_ONE", "_TWO"], result.Diagnostics.Select(d => d.Message.Split('\'')[1]));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>A config whose docker step carries <paramref name="arg"/> and tags the image with $_TAG.</summary>
    private static string Config(string arg) =>
        $"steps:\n  - name: gcr.io/cloud-builders/docker\n    args: [build, --build-arg, {arg}, -t, \"r/api:$_TAG\", .]\nimages: [\"r/api:$_TAG\"]\n";

    private static string Matrix(string substitutions) => $$"""
        matrix: { title: T, status: active, updated: 2026-01-01 }
        environments: [staging, production]
        defaults: { platform: cloudrun, project: demo-project, region: europe-west1 }
        lanes:
          api:
            build: { cloudbuild: { config: cloudbuild.yaml, substitutions: {{substitutions}} } }
            image: r/api:<TAG>
            targets: { staging: { service: api-staging }, production: { service: api-production } }

        """;

    private LoadResult Load(string config, string substitutions)
    {
        _dir.Write("cloudbuild.yaml", config);
        return MatrixLoader.Parse(Path.Combine(_dir.Path, "deploymatrix.yaml"), Matrix(substitutions));
    }
}
