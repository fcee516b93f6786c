using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Rendering;
using DeployMatrix.Core.Tests.Planning;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Core.Tests.Rendering;

public sealed class RenderTests
{
    private static readonly string Map = DeployMapRenderer.Render(MatrixLoader.Load(RepoPaths.Example).Matrix!);

    public static TheoryData<string> SeedFactsData() => [.. SeedFacts.Everything];

    [Theory]
    [MemberData(nameof(SeedFactsData))]
    public void ExampleMap_ContainsEverySeedFact(string fact)
    {
        Assert.Contains(fact, Map, StringComparison.Ordinal);
    }

    [Fact]
    public void ExampleMap_HasTheSeedsHeaderAndSections()
    {
        Assert.StartsWith("# Rust Service Deployment Matrix\n\nStatus: active  \nLast updated: 2026-02-21\n", Map, StringComparison.Ordinal);
        Assert.Contains("\n## Canonical deploy entrypoints\n", Map, StringComparison.Ordinal);
        Assert.Contains("\n## Non-canonical lanes\n", Map, StringComparison.Ordinal);
        Assert.Contains("Cross-environment release validation gate:\n\n- `docs/RUST_STAGING_PROD_VALIDATION.md`", Map, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_IsDeterministic_AcrossRunsAndLocations()
    {
        using var dir = new TempDir();
        CopyTree(Path.GetDirectoryName(RepoPaths.Example)!, dir.Path);

        var elsewhere = DeployMapRenderer.Render(MatrixLoader.Load(Path.Combine(dir.Path, "deploymatrix.yaml")).Matrix!);

        Assert.Equal(Map, DeployMapRenderer.Render(MatrixLoader.Load(RepoPaths.Example).Matrix!));
        Assert.Equal(Map, elsewhere);
        Assert.DoesNotContain("\r", Map, StringComparison.Ordinal);
        Assert.EndsWith("\n", Map, StringComparison.Ordinal);
        Assert.False(Map.EndsWith("\n\n", StringComparison.Ordinal));
    }

    [Fact]
    public void CommittedExampleMap_IsUpToDate()
    {
        var committed = File.ReadAllText(Path.Combine(Path.GetDirectoryName(RepoPaths.Example)!, "DEPLOY_MATRIX.md"));

        Assert.Equal("", LineDiff.Unified(committed, Map, "DEPLOY_MATRIX.md", "rendered"));
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/target/", StringComparison.Ordinal)))
        {
            var destination = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }
}
