using DeployMatrix.Core.Model;

namespace DeployMatrix.Engine.Gate;

/// <summary>
/// The gated tag's release of a lane must have passed a rehearsal: the latest one recorded for its content digest
/// (not its tag: a verdict is bound to what ran) passed every phase, so the release before it serves the migrated
/// schema. Never rehearsed, or rehearsed and failed, is a no-go; a tag never built here is a skip.
/// </summary>
internal sealed class RehearsalCheck : IGateCheck
{
    public string CommandOf(CheckSpec spec) => spec is RehearsalCheckSpec r ? $"deploymatrix rehearse {r.Lane} --tag TAG" : spec.Type;

    public Task<string> RunAsync(CheckSpec check, CheckContext context, CancellationToken ct)
    {
        var spec = (RehearsalCheckSpec)check;
        var tag = context.Tag ?? throw new CheckSkipped("no tag is being gated here");
        var gate = context.Matrix.Gate ?? throw new CheckSkipped("the matrix has no gate");
        var content = context.Services.ContentOf(context.TargetOf(spec.Lane, gate.From, null), tag);
        if (content?.Digest is not { } digest)
        {
            throw new CheckSkipped($"tag {tag} of {spec.Lane} has no known digest here; build it first: deploymatrix build {spec.Lane} --tag {tag}");
        }

        var verdict = context.Services.Rehearsal(spec.Lane, digest);
        context.Log($"tag {tag} of {spec.Lane}: {digest}");
        context.Log(verdict is null
            ? "no rehearsal of this digest recorded"
            : $"latest rehearsal at {verdict.At} against {verdict.Against} (tag {verdict.Tag}): {(verdict.Passed ? "passed" : "failed")}, rollback_safe {(verdict.RollbackSafe ? "true" : "false")}: {verdict.Why}");
        return verdict switch
        {
            null => throw new CheckFailed($"{spec.Lane} {digest} (tag {tag}) was never rehearsed; run: deploymatrix rehearse {spec.Lane} --tag {tag}"),
            { Passed: false } => throw new CheckFailed($"the rehearsal of {spec.Lane} {digest} failed{(verdict.RollbackSafe ? "" : ", rollback not safe")}: {verdict.Why}"),
            _ => Task.FromResult($"rehearsed against {verdict.Against} at {verdict.At}: rollback safe ({verdict.Why})"),
        };
    }
}
