using System.Globalization;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// The gcloud executor and the API path carry out the same plans, so they must leave a service in the same
/// state: after deploys, a rollback and another deploy, the same revisions (by the order they were made)
/// serve the same shares and carry the same tags — through the API against the double, and through gcloud
/// against the stand-in gcloud.
/// </summary>
public sealed class ExecutorParityTests : CloudRunExampleTests, IDisposable
{
    private readonly TempDir _gcloudDir = TempDir.CopyOfExample();
    private readonly TempDir _bin = new();

    [Fact]
    public void DeploysARollbackAndADeploy_EndInTheSameTrafficAndTags_OnBothPaths()
    {
        string[][] steps =
        [
            ["deploy", "runtime", "--env", "staging", "--tag", "bbb2222"],
            ["deploy", "runtime", "--env", "staging", "--tag", "ccc3333"],
            ["rollback", "runtime", "--env", "staging"],
            ["deploy", "runtime", "--env", "staging", "--tag", "ddd4444"],
        ];
        var gcloudEnv = StandIn();

        foreach (var step in steps)
        {
            var api = Cli(step);
            var gcloud = CliRun.Invoke(_gcloudDir.Path, gcloudEnv, ["--platform", "cloudrun", .. step, "--executor", "gcloud"]);
            Assert.True(api.ExitCode == 0, api.ToString());
            Assert.True(gcloud.ExitCode == 0, gcloud.ToString());
        }

        var service = Google.Service("projects/openagentsgemini/locations/us-central1/services/runtime-staging");
        var apiState = Normalized(
            service["trafficStatuses"]!.AsArray().Where(t => t!["percent"]!.GetValue<int>() > 0).Select(t => (t!["revision"]!.GetValue<string>(), t["percent"]!.GetValue<int>())),
            service["trafficStatuses"]!.AsArray().Where(t => t!["tag"] is not null).Select(t => (t!["tag"]!.GetValue<string>(), t["revision"]!.GetValue<string>())));
        var state = Path.Combine(_bin.Path, "state");
        var gcloudState = Normalized(
            File.ReadAllText(Path.Combine(state, "traffic-runtime-staging")).Trim().Split(',').Select(e => (e.Split('=')[0], int.Parse(e.Split('=')[1], CultureInfo.InvariantCulture))),
            File.ReadAllLines(Path.Combine(state, "tags-runtime-staging")).Where(l => l.Length > 0).Select(l => (l.Split(' ')[0], l.Split(' ')[1])));

        // The fourth revision (ddd4444) serves everything; each release's revision keeps its tag.
        Assert.Equal("traffic #4=100; tags dm-bbb2222=#2, dm-ccc3333=#3, dm-ddd4444=#4", apiState);
        Assert.Equal(apiState, gcloudState);
    }

    void IDisposable.Dispose()
    {
        _gcloudDir.Dispose();
        _bin.Dispose();
    }

    /// <summary>
    /// Revisions named by the order they were made (the number in SERVICE-00042-xyz), so two platforms' names
    /// compare: #2 is the first deployed here (#1, the one each service started with, serves nothing by then).
    /// </summary>
    private static string Normalized(IEnumerable<(string Revision, int Percent)> traffic, IEnumerable<(string Tag, string Revision)> tags)
    {
        var traffics = traffic.ToList();
        var tagList = tags.ToList();
        static long Number(string revision) => long.Parse(revision.Split('-')[^2], CultureInfo.InvariantCulture);
        var numbers = traffics.Select(t => Number(t.Revision)).Concat(tagList.Select(t => Number(t.Revision))).Distinct().Order().ToList();
        string Name(string revision) => $"#{numbers.IndexOf(Number(revision)) + 2}";
        return $"traffic {string.Join(",", traffics.Select(t => $"{Name(t.Revision)}={t.Percent}").Order(StringComparer.Ordinal))}; tags {string.Join(", ", tagList.OrderBy(t => t.Tag, StringComparer.Ordinal).Select(t => $"{t.Tag}={Name(t.Revision)}"))}";
    }

    /// <summary>The stand-in gcloud on PATH, its services starting as the double's do (one revision serving everything).</summary>
    private Dictionary<string, string> StandIn()
    {
        File.Copy(Path.Combine(RepoPaths.Root, "tests", "DeployMatrix.FunctionalTests", "CloudRun", "fake-gcloud"), Path.Combine(_bin.Path, "gcloud"));
        File.SetUnixFileMode(Path.Combine(_bin.Path, "gcloud"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var state = Directory.CreateDirectory(Path.Combine(_bin.Path, "state")).FullName;
        File.WriteAllText(Path.Combine(state, "url-runtime-staging"), Google.BaseUri.ToString().TrimEnd('/'));
        File.WriteAllText(Path.Combine(state, "image-runtime-staging"), $"{Registry}/runtime/runtime:aaa1111");
        File.WriteAllText(Path.Combine(state, "latest-runtime-staging"), "runtime-staging-00001-abc");
        File.WriteAllText(Path.Combine(state, "traffic-runtime-staging"), "runtime-staging-00001-abc=100");
        return new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = $"{_bin.Path}:/usr/bin:/bin" };
    }
}
