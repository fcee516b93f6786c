using System.Text.Json;
using DeployMatrix.Tests.GoogleDouble;

namespace DeployMatrix.CloudRun.Tests;

/// <summary>Cloud Storage's definition (read from Google's generated client) must know the calls a build makes, and nothing guessed.</summary>
public sealed class StorageDefinitionTests
{
    private static readonly StorageDefinition Storage = StorageDefinition.Load();

    [Theory]
    [InlineData("GET", "/storage/v1/b/p_cloudbuild", "Buckets$Get", false)]
    [InlineData("POST", "/storage/v1/b", "Buckets$Insert", false)]
    [InlineData("POST", "/upload/storage/v1/b/p_cloudbuild/o", "Objects$Insert", true)]
    [InlineData("POST", "/storage/v1/b/p_cloudbuild/o", "Objects$Insert", false)]
    public void TheBuildsCalls_MatchTheirMethods(string method, string path, string name, bool media)
    {
        var found = Storage.Match(method, path);

        Assert.Equal(name, found?.Name);
        Assert.Equal(media, found?.Media);
    }

    [Theory]
    [InlineData("PUT", "/upload/storage/v1/b/p_cloudbuild/o")]
    [InlineData("POST", "/upload/storage/v2/b/p_cloudbuild/o")]
    [InlineData("GET", "/storage/v1/buckets/p_cloudbuild")]
    public void GuessedCalls_MatchNothing(string method, string path)
    {
        Assert.Null(Storage.Match(method, path));
    }

    [Fact]
    public void ParametersAndFields_AreTheDeclaredOnes()
    {
        var insert = Storage.Match("POST", "/upload/storage/v1/b/b/o")!;
        using var good = JsonDocument.Parse("""{"bucket":"b","name":"source/x.tgz","generation":"1","size":"10"}""");
        using var bad = JsonDocument.Parse("""{"bucketName":"b","name":"x"}""");

        Assert.True(Storage.HasParameter(insert, "name"));
        Assert.True(Storage.HasParameter(insert, "uploadType")); // a standard parameter of every method
        Assert.False(Storage.HasParameter(insert, "objectName"));
        Assert.Empty(Storage.Check("Schema$Object", good.RootElement));
        Assert.Equal(["'bucketName' is not a field of Schema$Object"], Storage.Check("Schema$Object", bad.RootElement));
    }
}
