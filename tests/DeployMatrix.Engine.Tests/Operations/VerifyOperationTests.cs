using DeployMatrix.Core;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Operations;

/// <summary>
/// A lane's verify checks through the engine: run before the deploy's first platform call, by the gate's runner
/// for their kind; a required failure changes nothing, an optional one is only reported; a skip needs a reason.
/// </summary>
public sealed class VerifyOperationTests : IAsyncLifetime
{
    private static readonly string Matrix = EngineHarness.Matrix.Replace("""
              staging: { service: web-staging }
              production: { service: web }
        """, """
              staging: { service: web-staging }
              production: { service: web }
            smoke: [/healthz]
            verify:
              staging:
                - { id: unit-tests, command: { run: sh tests.sh, timeout: 20s } }
                - { id: lint, required: false, command: sh lint.sh }
        """, StringComparison.Ordinal);

    private readonly EngineHarness _h = new(Matrix);
    private LoopbackService _service = null!;

    public async Task InitializeAsync()
    {
        Assert.Contains("verify:", Matrix, StringComparison.Ordinal);
        _service = await LoopbackService.StartAsync();
        _service.Answers["/healthz"] = (200, "ok", null);
        _h.Platform.BaseUrl = _service.Url;
        _h.Platform.Seed("web-staging", "local://web@sha256:web-t1", "t1");
        File.WriteAllText(Path.Combine(_h.Dir, "lint.sh"), "echo 'lint: 2 warnings'\nexit 1\n");
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _h.Dispose();
    }

    [Fact]
    public async Task ARequiredFailure_StopsTheDeploy_BeforeAnyPlatformChange_WithNoReceipt()
    {
        File.WriteAllText(Path.Combine(_h.Dir, "tests.sh"), "echo 'test routes ... FAILED'\nexit 101\n");
        _h.Platform.Calls.Clear();

        var result = await Deploy(new ChangeOptions());

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.StartsWith("verify unit-tests failed: 'sh tests.sh' exited with 101; command: sh tests.sh; log: ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', result.Error!);
        Assert.Equal($"{result.Error}\n  | $ sh tests.sh\n  |   test routes ... FAILED\n  | => failed: 'sh tests.sh' exited with 101", result.Steps[^1].Detail); // the log's tail
        // The preflight's reads ran first; the verify stopped the deploy before any change.
        Assert.Equal("verify-check", result.Steps[^1].Kind);
        Assert.All(result.Steps.SkipLast(1), s => Assert.StartsWith("check-", s.Kind, StringComparison.Ordinal));
        Assert.DoesNotContain(_h.Platform.Calls, c => c.Split(' ')[0] is "Deploy" or "SetTraffic" or "RemoveTags" or "UpdateJob" or "Execute");
        Assert.Null(result.ReceiptPath);
        var audit = _h.State.AuditRecords()[^1];
        Assert.Equal(("deploy", "failed: verify unit-tests failed"), (audit.Action, audit.Result[.."failed: verify unit-tests failed".Length]));
    }

    [Fact]
    public async Task AnOptionalFailure_IsReported_AndTheDeployGoesOn()
    {
        File.WriteAllText(Path.Combine(_h.Dir, "tests.sh"), "echo ok\n");

        var result = await Deploy(new ChangeOptions());

        Assert.True(result.Ok, result.Error);
        Assert.Equal(("failed", "unit-tests=passed,lint=failed"), (result.Facts["verify"], result.Facts["verify_checks"]));
        var verify = result.Steps.SkipWhile(s => s.Kind.StartsWith("check-", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("failed: 'sh lint.sh' exited with 1", verify[1].Detail, StringComparison.Ordinal);
        Assert.Equal("deploy-revision", verify[2].Kind);
    }

    [Fact]
    public async Task ASkip_WithABlankReason_IsBadInput_AndWithOne_IsAuditedBeforeAnythingRuns()
    {
        File.WriteAllText(Path.Combine(_h.Dir, "tests.sh"), "exit 1\n");

        var blank = await Assert.ThrowsAsync<OperationException>(() => Deploy(new ChangeOptions { SkipVerify = " " }));
        var audited = _h.State.AuditRecords().Count;
        var skipped = await Deploy(new ChangeOptions { SkipVerify = "hotfix INC-7" });

        Assert.Equal(ExitCodes.BadInput, blank.ExitCode);
        Assert.True(skipped.Ok, skipped.Error);
        var records = _h.State.AuditRecords().Skip(audited).ToList();
        Assert.Equal(["skip-verify", "deploy"], records.Select(r => r.Action));
        Assert.Equal(("tester", "verify skipped: hotfix INC-7"), (records[0].Actor, records[0].Result));
        Assert.Contains("\"checks\":\"unit-tests,lint\"", records[0].Inputs, StringComparison.Ordinal);
        Assert.Equal(("skipped", "hotfix INC-7", "tester"), (skipped.Facts["verify"], skipped.Facts["verify_skip_reason"], skipped.Facts["verify_skipped_by"]));
    }

    [Fact]
    public async Task ARolloutWithATag_RunsItsDeploysVerify_AndAFailureStartsNoRollout()
    {
        File.WriteAllText(Path.Combine(_h.Dir, "tests.sh"), "exit 3\n");
        var (traffic, latest) = (_h.Platform.Traffic("web-staging"), _h.Platform.Latest("web-staging"));

        var error = await Assert.ThrowsAsync<OperationException>(() => new RolloutOperation(_h.Workspace).RunAsync(
            new RolloutStartRequest("web", "staging") { Tag = "t2" }, _h.Reporter, _ => { }, _ => { }, r => r(_h.Reporter), CancellationToken.None));

        Assert.StartsWith("verify unit-tests failed", error.Message, StringComparison.Ordinal);
        Assert.Equal(traffic, _h.Platform.Traffic("web-staging"));
        Assert.Equal(latest, _h.Platform.Latest("web-staging"));
        Assert.Null(_h.State.LatestRollout("web", "staging"));
    }

    private Task<Engine.Execution.ExecutionResult> Deploy(ChangeOptions options) =>
        new DeployOperation(_h.Workspace).RunAsync("web", "staging", "t2", noTraffic: false, options, _h.Reporter, CancellationToken.None);
}
