using System.Text.RegularExpressions;
using DeployMatrix.Core.Loading;
using DeployMatrix.Tests.Support;
using DeployMatrix.Core.Tests.Schema;

namespace DeployMatrix.Core.Tests.Loading;

/// <summary>The README's "complete small example" must stay a valid matrix, for the loader and the schema.</summary>
public sealed partial class ReadmeExampleTests
{
    [Fact]
    public void ReadmeExample_IsAValidMatrix()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var yaml = YamlBlock().Match(readme).Groups["yaml"].Value;
        using var dir = new TempDir();
        foreach (var referenced in new[] { "docs/API_RUNBOOK.md", "docs/RELEASE_GATE.md", "apps/ledger-ops/Cargo.toml" })
        {
            dir.Write(referenced, "# referenced by the README example\n");
        }

        dir.Write("deploy/cloudbuild.yaml", "steps: [{ name: gcr.io/cloud-builders/docker, args: [build, -t, \"api:$_TAG\", .] }]\n");

        var path = dir.Write("deploymatrix.yaml", yaml);
        var result = MatrixLoader.Load(path);

        Assert.True(result.Ok, string.Join('\n', result.Diagnostics));
        Assert.Equal(4, result.Matrix!.Lanes.Count);
        Assert.Equal(["production"], result.Matrix.FindLane("webhooks")!.Targets.Select(t => t.Environment));
        Assert.True(MatrixSchema.Evaluate(yaml).IsValid);
    }

    [GeneratedRegex("```yaml\n(?<yaml>.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();
}
