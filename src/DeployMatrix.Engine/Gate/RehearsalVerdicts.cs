using System.Text.Json;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Gate;

/// <summary>A rehearsal's verdict as its audit record keeps it: bound to the candidate's digest, not its tag.</summary>
/// <param name="At">When it was recorded, ISO 8601 UTC.</param>
public sealed record RehearsalVerdict(string Lane, string Against, string Tag, string Digest, bool Passed, bool RollbackSafe, string Why, string At);

/// <summary>
/// The rehearsals recorded in the audit log (one record each, action <c>rehearse</c>): what the gate's
/// <c>rehearsal</c> check and a production rollout ask. The audit log is the store every workspace of a team shares,
/// and a verdict in it cannot be edited without breaking the chain.
/// </summary>
public static class RehearsalVerdicts
{
    public const string Action = "rehearse";

    /// <summary>The latest rehearsal of the lane's release with this digest, or null when it was never rehearsed.</summary>
    public static RehearsalVerdict? Latest(StateStore state, string lane, string digest) =>
        state.AuditRecords(Action, lane).Select(Read).LastOrDefault(v => v is not null && v.Digest == digest);

    /// <summary>The audit record's inputs for a rehearsal (what <see cref="Read"/> reads back): the candidate's tag and digest, the stable release's, and the verdict's rollback safety and why.</summary>
    public static Dictionary<string, string?> Inputs(string tag, string digest, string stableTag, string stableDigest, bool rollbackSafe, string why) => new()
    {
        ["tag"] = tag,
        ["digest"] = digest,
        ["stable_tag"] = stableTag,
        ["stable_digest"] = stableDigest,
        ["rollback_safe"] = rollbackSafe ? "true" : "false",
        ["why"] = why,
    };

    private static RehearsalVerdict? Read(AuditRecord record)
    {
        try
        {
            var inputs = JsonSerializer.Deserialize<Dictionary<string, string?>>(record.Inputs);
            return inputs is null || inputs.GetValueOrDefault("digest") is not { } digest
                ? null
                : new RehearsalVerdict(record.Lane ?? "", record.Env ?? "", inputs.GetValueOrDefault("tag") ?? "", digest,
                    record.Result == "pass", inputs.GetValueOrDefault("rollback_safe") == "true", inputs.GetValueOrDefault("why") ?? "", record.At);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
