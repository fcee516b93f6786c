using System.Text.Json;
using DeployMatrix.Tests.GoogleDouble;

namespace DeployMatrix.CloudRun.Tests;

/// <summary>The checker the double relies on must itself catch what a guessed API would get wrong.</summary>
public sealed class ProtoCatalogTests
{
    private static readonly ProtoCatalog Run = ProtoCatalog.Load("run");

    [Theory]
    [InlineData("GET", "/v2/projects/p/locations/us-central1/services/api", "google.cloud.run.v2.Services.GetService")]
    [InlineData("PATCH", "/v2/projects/p/locations/us-central1/services/api", "google.cloud.run.v2.Services.UpdateService")]
    [InlineData("GET", "/v2/projects/p/locations/us-central1/services/api/revisions", "google.cloud.run.v2.Revisions.ListRevisions")]
    [InlineData("POST", "/v2/projects/p/locations/us-central1/jobs/runtime-migrate:run", "google.cloud.run.v2.Jobs.RunJob")]
    [InlineData("GET", "/v2/projects/p/locations/us-central1/jobs/runtime-migrate/executions/runtime-migrate-x7k2p", "google.cloud.run.v2.Executions.GetExecution")]
    public void KnownCalls_MatchTheirRpc(string method, string path, string rpc)
    {
        Assert.Equal(rpc, Run.Match(method, path)?.Rpc);
    }

    [Theory]
    [InlineData("POST", "/v2/projects/p/locations/us-central1/services/api")] // update is PATCH
    [InlineData("GET", "/v1/projects/p/locations/us-central1/services/api")]
    [InlineData("POST", "/v2/projects/p/locations/us-central1/jobs/runtime-migrate:execute")]
    public void GuessedCalls_MatchNothing(string method, string path)
    {
        Assert.Null(Run.Match(method, path));
    }

    [Fact]
    public void MessagesAreCheckedField_By_Field_IncludingEnumsAndNestedTypes()
    {
        using var good = JsonDocument.Parse("""{"name":"n","template":{"containers":[{"image":"i","env":[{"name":"A","value":"1"}]}]},"traffic":[{"type":"TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST","percent":100}],"generation":"3","terminalCondition":{"state":"CONDITION_SUCCEEDED"}}""");
        using var bad = JsonDocument.Parse("""{"templates":{},"traffic":[{"type":"LATEST","percent":"100"}],"template":{"containers":{"image":"i"}}}""");

        Assert.Empty(Run.Check("google.cloud.run.v2.Service", good.RootElement));
        var problems = Run.Check("google.cloud.run.v2.Service", bad.RootElement);
        Assert.Contains(problems, p => p.Contains("has no field 'templates'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'LATEST' is not a value of enum google.cloud.run.v2.TrafficTargetAllocationType", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("$.traffic[0].percent: int32 is a JSON number", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("$.template.containers: repeated field is a JSON array", StringComparison.Ordinal));
    }
}
