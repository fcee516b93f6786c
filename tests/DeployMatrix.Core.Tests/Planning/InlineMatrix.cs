using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Tests.Planning;

/// <summary>A matrix written in a test, loaded from a scratch folder beside the Cloud Build config its lanes name.</summary>
internal static class InlineMatrix
{
    /// <param name="cloudBuildConfig">The text of <c>cloudbuild.yaml</c> beside the matrix (it must use <c>$_TAG</c> and every substitution the matrix passes).</param>
    /// <returns>The model; the test fails, naming every diagnostic, when the matrix is not valid.</returns>
    public static Matrix Load(string yaml, string cloudBuildConfig)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"dm-inline-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "cloudbuild.yaml"), cloudBuildConfig);
        try
        {
            var loaded = MatrixLoader.Parse(Path.Combine(dir, "deploymatrix.yaml"), yaml);
            Assert.True(loaded.Matrix is not null, string.Join("\n", loaded.Diagnostics));
            return loaded.Matrix!;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
