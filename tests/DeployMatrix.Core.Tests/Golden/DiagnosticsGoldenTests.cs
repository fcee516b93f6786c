using System.Text;
using DeployMatrix.Core.Loading;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Core.Tests.Golden;

/// <summary>Every diagnostic of every broken matrix in the corpus, each at its position with its whole message.</summary>
public sealed class DiagnosticsGoldenTests
{
    [Fact]
    public void EveryBrokenMatrix_GetsExactlyTheDiagnosticsOnRecord()
    {
        var text = new StringBuilder();
        foreach (var file in Directory.GetFiles(RepoPaths.Corpus("bad"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            var loaded = MatrixLoader.Load(file, name);
            text.Append("== ").Append(name).Append('\n');
            foreach (var diagnostic in loaded.Diagnostics)
            {
                // Messages about missing files name the folder looked in, which depends on the clone.
                text.Append(diagnostic.ToString().Replace(RepoPaths.Root, "<REPO>", StringComparison.Ordinal)).Append("  [").Append(diagnostic.Code).Append("]\n");
            }
        }

        GoldenFile.Match("diagnostics.txt", text.ToString());
    }
}
