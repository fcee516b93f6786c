using System.Text.Json.Nodes;
using DeployMatrix.Core.Planning;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// The build line's <c>--substitutions</c> word read by the real gcloud CLI (the stock image ships it):
/// gcloud parses it, applies it to the config and sends the Build to Cloud Build's endpoint, overridden
/// to a loopback listener that keeps the request and refuses it. What gcloud sent is the map the
/// matrix gave — a value holding commas and '=' included, which a plain comma-joined word splits apart.
/// (<see cref="RealGcloud"/> is gcloud's endpoint here.)
/// </summary>
public sealed class RealGcloudSubstitutionsTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task TheBuildLinesSubstitutions_ReachCloudBuild_AsTheMatrixGaveThem()
    {
        var substitutions = new Dictionary<string, string> { ["_TAG"] = "abc1234", ["_HOSTS"] = "a.example,b.example=2", ["_PIPE"] = "x|y" };
        var step = new BuildImage("api", "abc1234", "r/api:abc1234", "cloudbuild.yaml", substitutions);
        var words = GcloudCommands.For(step)[0];
        _dir.Write("cloudbuild.yaml", "steps: [{ name: gcr.io/cloud-builders/docker, args: [build, --build-arg, \"H=$_HOSTS $_PIPE\", -t, \"r/api:$_TAG\", .] }]\n");
        using var gcloud = new RealGcloud(_dir.Path);

        // The line as planned, with the source folder left out: what is read here is the --substitutions word.
        var (exit, output) = await gcloud.RunAsync([.. words.Skip(1).SkipLast(1), "--no-source", "--project", "p"]);

        Assert.True(exit == 1 && output.Contains(RealGcloud.Refusal, StringComparison.Ordinal), output); // Cloud Build (the listener) refused the build
        var (line, body) = Assert.Single(gcloud.Requests);
        Assert.Equal("POST http://cloudbuild.test/v1/projects/p/locations/global/builds?alt=json HTTP/1.1", line);
        var sent = JsonNode.Parse(body)!["substitutions"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
        Assert.Equal(substitutions.OrderBy(p => p.Key, StringComparer.Ordinal), sent.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    public void Dispose() => _dir.Dispose();
}
