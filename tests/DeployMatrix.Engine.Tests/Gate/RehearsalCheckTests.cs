using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Gate;

/// <summary>
/// The gate's <c>rehearsal: { lane }</c> check through the gate operation, on the verdicts <c>rehearse</c> records in the
/// audit log: only the latest rehearsal of the gated tag's digest counts, and only a passed one passes.
/// </summary>
public sealed class RehearsalCheckTests : IDisposable
{
    private const string Digest = "sha256:api-t2";
    private static readonly string Matrix = EngineHarness.Matrix.Replace(
        "    - { id: web-health, http: { lane: web, env: staging, path: /healthz } }",
        "    - { id: api-rehearsal, rehearsal: { lane: api } }",
        StringComparison.Ordinal);

    private readonly EngineHarness _h = new(Matrix);

    // The gate checks first that staging serves t2's content of the lane it names.
    public RehearsalCheckTests() => _h.Release("api-staging", "api", "t2");

    [Fact]
    public async Task NeverRehearsed_Fails_SayingWhatToRun()
    {
        Assert.Equal((CheckStatus.Failed, $"api {Digest} (tag t2) was never rehearsed; run: deploymatrix rehearse api --tag t2"), await CheckAsync());
    }

    [Fact]
    public async Task APassedRehearsal_OfAnotherDigest_DoesNotCount()
    {
        // t2 rebuilt: the rehearsal passed for the content t2 named before, not for what the gate approves now.
        Rehearsed("t2", "sha256:api-t2-before", passed: true);
        Rehearsed("t3", "sha256:api-t3", passed: true);

        Assert.Equal((CheckStatus.Failed, $"api {Digest} (tag t2) was never rehearsed; run: deploymatrix rehearse api --tag t2"), await CheckAsync());
    }

    [Fact]
    public async Task AFailedRehearsal_OfThatDigest_Fails_WithItsWhy()
    {
        Rehearsed("t2", Digest, passed: false, why: "the stable release failed its smoke checks on the migrated schema: /healthz answered 503");

        Assert.Equal(
            (CheckStatus.Failed, $"the rehearsal of api {Digest} failed, rollback not safe: the stable release failed its smoke checks on the migrated schema: /healthz answered 503"),
            await CheckAsync());
    }

    [Fact]
    public async Task APassedRehearsal_OfThatDigest_Passes()
    {
        Rehearsed("t2", Digest, passed: true);
        var at = _h.State.AuditRecords().Last().At;

        Assert.Equal((CheckStatus.Passed, $"rehearsed against production at {at}: rollback safe (the stable release passed its smoke checks on the migrated schema)"), await CheckAsync());
    }

    [Fact]
    public async Task OnlyTheLatestRehearsal_OfTheDigest_Counts()
    {
        Rehearsed("t2", Digest, passed: true);
        Rehearsed("t2", Digest, passed: false, why: "the candidate's migration failed: exit 3");

        Assert.Equal((CheckStatus.Failed, $"the rehearsal of api {Digest} failed, rollback not safe: the candidate's migration failed: exit 3"), await CheckAsync());

        Rehearsed("t2", Digest, passed: true);
        Assert.Equal(CheckStatus.Passed, (await CheckAsync()).Status);
    }

    /// <summary>A rehearsal's verdict as <c>rehearse</c> records it: one audit record, bound to the digest.</summary>
    private void Rehearsed(string tag, string digest, bool passed, string why = "the stable release passed its smoke checks on the migrated schema") =>
        _h.Workspace.Recorder.Record(RehearsalVerdicts.Action, "api", "production",
            RehearsalVerdicts.Inputs(tag, digest, "t1", "sha256:api-t1", passed, why), passed ? "pass" : "fail");

    private async Task<(string Status, string Reason)> CheckAsync()
    {
        var report = await new GateOperation(_h.Workspace).RunAsync(null, null, "t2", _ => { }, (_, _) => { }, _ => { }, CancellationToken.None);
        var result = report.Results.Single(r => r.CheckId == "api-rehearsal");
        Assert.Equal(result.Status == CheckStatus.Passed, report.Go);
        return (result.Status, result.Reason);
    }

    public void Dispose() => _h.Dispose();
}
