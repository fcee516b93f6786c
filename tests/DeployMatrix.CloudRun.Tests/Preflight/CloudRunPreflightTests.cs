using System.Text.Json.Nodes;
using DeployMatrix.CloudRun.Tests.Support;
using DeployMatrix.Core;
using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Recording;
using DeployMatrix.State;
using DeployMatrix.Tests.GoogleDouble;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.CloudRun.Tests.Preflight;

/// <summary>
/// A Cloud Run deploy of the example's lanes, planned from its matrix and run step by step against the double:
/// the preflight reads (Artifact Registry, testIamPermissions, the service's template) stop it with one line
/// naming the fix before any write reaches Google; with everything in place it goes ahead.
/// </summary>
public sealed class CloudRunPreflightTests : IAsyncLifetime
{
    private const string Registry = "us-central1-docker.pkg.dev/openagentsgemini";
    private const string Control = "projects/openagentsgemini/locations/us-central1/services/openagents-control-service-staging";
    private const string ClientId = "client_01PREFLIGHTVALUE";
    private readonly TempDir _dir = new();
    private DoubleConnection _connection = null!;
    private CloudRunDouble _double = null!;

    public async Task InitializeAsync()
    {
        _connection = await DoubleConnection.StartAsync();
        _double = _connection.Fake;
        _double.PollsPerOperation = 0;
        _double.AddService("openagentsgemini", "us-central1", "openagents-control-service-staging", $"{Registry}/openagents-control-service/control:aaa1111");
        _double.AddService("openagentsgemini", "us-central1", "runtime-staging", $"{Registry}/runtime/runtime:aaa1111");
        _double.AddJob("openagentsgemini", "us-central1", "runtime-migrate-staging", $"{Registry}/runtime/runtime:aaa1111");
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task AMissingImage_StopsTheDeployNamingTheBuild_WithExit1_AndNoWrite()
    {
        _double.Untag($"{Registry}/openagents-control-service/control:bbb2222");

        var result = await DeployAsync("openagents-control-service");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Equal($"image {Registry}/openagents-control-service/control:bbb2222 is not in Artifact Registry (us-central1-docker.pkg.dev/openagentsgemini/openagents-control-service has no tag bbb2222 of control); build and push it first: deploymatrix build openagents-control-service --tag bbb2222", result.Error);
        Assert.Contains(_double.Calls, c => c.StartsWith("GET /v1/projects/openagentsgemini/locations/us-central1/repositories/openagents-control-service/packages/control/tags/bbb2222", StringComparison.Ordinal));
        AssertNoWrite();
    }

    [Fact]
    public async Task AMissingConditionalSecret_StopsTheDeployNamingTheGcloudFix_WithExit1_NoWrite_AndNoValuePrinted()
    {
        SetTemplateEnv(("OA_AUTH_PROVIDER_MODE", "workos", null), ("WORKOS_CLIENT_ID", ClientId, null));

        var result = await DeployAsync("openagents-control-service");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Equal("required variable WORKOS_API_KEY (because OA_AUTH_PROVIDER_MODE=workos) is not set; set it on the service: gcloud run services update openagents-control-service-staging --project openagentsgemini --region us-central1 --update-secrets WORKOS_API_KEY=SECRET:latest", result.Error);
        Assert.DoesNotContain(ClientId, string.Join("\n", result.Steps.Select(s => s.Detail)), StringComparison.Ordinal);
        Assert.DoesNotContain(ClientId, await File.ReadAllTextAsync(result.ReceiptPath!), StringComparison.Ordinal);
        AssertNoWrite();
    }

    [Fact]
    public async Task ASecretSetAsAPlainValue_StopsTheDeploy_AsMissingFromSecretManager()
    {
        SetTemplateEnv(("OA_SYNC_TOKEN_ENABLED", "true", null), ("OA_SYNC_TOKEN_SIGNING_KEY", "plain-signing-key", null), ("OA_SYNC_TOKEN_ISSUER", "https://openagents.com", null), ("OA_SYNC_TOKEN_AUDIENCE", "openagents", null));

        var result = await DeployAsync("openagents-control-service");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.StartsWith("required variable OA_SYNC_TOKEN_SIGNING_KEY (because OA_SYNC_TOKEN_ENABLED=true) is a secret but is set as a plain value; set it on the service: gcloud run services update", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("plain-signing-key", result.Error, StringComparison.Ordinal);
        AssertNoWrite();
    }

    [Theory]
    [InlineData("openagents-control-service", "run.services.update", "run.services.update")]
    [InlineData("runtime", "run.jobs.run", "run.jobs.run on job runtime-migrate-staging")]
    public async Task AMissingPermission_StopsTheDeployNamingIt_WithExit1_AndNoWrite(string lane, string denied, string named)
    {
        _double.Deny(denied);

        var result = await DeployAsync(lane);

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.StartsWith($"the caller lacks {named} on ", result.Error, StringComparison.Ordinal);
        Assert.Contains("grant a role that holds it (e.g. roles/run.developer)", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', result.Error!);
        AssertNoWrite();
    }

    [Fact]
    public async Task WithEverythingInPlace_TheDeployGoesAhead_AfterItsFourChecks()
    {
        SetTemplateEnv(("OA_AUTH_PROVIDER_MODE", "workos", null), ("WORKOS_CLIENT_ID", ClientId, null), ("WORKOS_API_KEY", null, "workos-api-key"));
        // The secret exists and the service's account may read it, or Cloud Run would refuse the template.
        _double.AddSecret("projects/openagentsgemini/secrets/workos-api-key");
        _double.SecretVersions["projects/openagentsgemini/secrets/workos-api-key"].Add("sk_test"u8.ToArray());
        _double.ProjectSecretAccessors.Add("openagents-control-service-staging@openagentsgemini.iam.gserviceaccount.com");

        var result = await DeployAsync("openagents-control-service");

        Assert.True(result.Ok, result.Error);
        Assert.Equal(["check-image", "check-service", "check-permissions", "check-requires", "deploy-revision"], result.Steps.Take(5).Select(s => s.Kind));
        Assert.Equal($"{Registry}/openagents-control-service/control:bbb2222", _double.Service(Control)["template"]!["containers"]![0]!["image"]!.GetValue<string>());
    }

    /// <summary>Nothing but reads reached Google: no PATCH, no DELETE, and no POST other than IAM's testIamPermissions.</summary>
    private void AssertNoWrite() =>
        Assert.DoesNotContain(_double.Calls, c => c.StartsWith("PATCH ", StringComparison.Ordinal) || c.StartsWith("DELETE ", StringComparison.Ordinal)
            || (c.StartsWith("POST ", StringComparison.Ordinal) && !c.EndsWith(":testIamPermissions", StringComparison.Ordinal)));

    /// <summary>The control service's template environment: literal values, or (value null) a Secret Manager reference.</summary>
    private void SetTemplateEnv(params (string Name, string? Value, string? Secret)[] variables) =>
        _double.Service(Control)["template"]!["containers"]![0]!["env"] = new JsonArray([.. variables.Select(v => (JsonNode)(v.Secret is { } secret
            ? new JsonObject { ["name"] = v.Name, ["valueSource"] = new JsonObject { ["secretKeyRef"] = new JsonObject { ["secret"] = secret, ["version"] = "latest" } } }
            : new JsonObject { ["name"] = v.Name, ["value"] = v.Value }))]);

    private async Task<ExecutionResult> DeployAsync(string lane)
    {
        var matrix = MatrixLoader.Load(RepoPaths.Example).Matrix!;
        var plan = Planner.Plan(matrix, new PlanRequest { Lane = lane, Environment = "staging", Tag = "bbb2222" }).Plan!;
        using var state = StateStore.Open(Path.Combine(_dir.Path, "state.db"), TimeProvider.System);
        var recorder = new Recorder(state, new ReceiptWriter(Path.Combine(_dir.Path, "receipts"), TimeProvider.System), "tester");
        return await new PlanExecutor(new PlatformStepRunner(_connection.Platform), recorder, TimeProvider.System, IExecutionReporter.None).RunAsync(plan, CancellationToken.None);
    }
}
