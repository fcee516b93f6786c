using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Recording;

/// <summary>
/// The tamper-evident audit log: every mutation appends a record whose SHA-256 covers its fields, the
/// hash of its receipt file and the previous record's hash. Changing any byte of a record, or of a
/// receipt it names, breaks the chain from that record on. Receipts are kept in the state as well as
/// in their files, so a chain shared by several machines is verifiable on each of them. Removing the
/// newest records leaves a shorter chain that is intact: an anchor (the head's hash, kept elsewhere)
/// is what shows it.
/// </summary>
public sealed class AuditLog(StateStore state)
{
    /// <param name="inputs">What was asked (lane, environment, tag, split…); never secrets.</param>
    public AuditRecord Append(string actor, string action, string? lane, string? env, IReadOnlyDictionary<string, string?> inputs, string result, string? receipt)
    {
        var inputsJson = JsonSerializer.Serialize(new SortedDictionary<string, string?>(inputs.ToDictionary(), StringComparer.Ordinal));
        var content = receipt is not null && File.Exists(receipt) ? File.ReadAllBytes(receipt) : null;
        var receiptHash = content is null ? null : Convert.ToHexStringLower(SHA256.HashData(content));
        return state.Write(() =>
        {
            if (content is not null)
            {
                state.PutReceipt(new ReceiptRecord(receipt!, receiptHash!, Encoding.UTF8.GetString(content)));
            }

            return state.AppendAudit((prev, at) =>
            {
                var record = new AuditRecord(0, at, actor, action, lane, env, inputsJson, result, receipt, receiptHash, prev, "");
                return record with { Hash = HashOf(record) };
            });
        });
    }

    /// <summary>The chain's head: the newest record's id and hash (the genesis hash and 0 when empty).</summary>
    public (long Id, string Hash) Head() => state.AuditRecords() is [.., var last] ? (last.Id, last.Hash) : (0, StateStore.AuditGenesis);

    /// <summary>Recomputes the chain; returns the first broken record and why, or null when intact.</summary>
    /// <param name="anchor">A head hash taken earlier (<see cref="Head"/>): the chain must still reach it, or its tail was removed or rewritten.</param>
    public AuditProblem? Verify(string? anchor = null)
    {
        var prev = StateStore.AuditGenesis;
        var reached = anchor is null || anchor == StateStore.AuditGenesis;
        long last = 0;
        foreach (var record in state.AuditRecords())
        {
            last = record.Id;
            if (record.PrevHash != prev)
            {
                return new AuditProblem(record.Id, "its link to the previous record does not match (a record before it was removed or changed)");
            }

            if (HashOf(record) != record.Hash)
            {
                return new AuditProblem(record.Id, "its content does not match its hash (the record was edited)");
            }

            if (record.Receipt is { } receipt && ReceiptProblem(record, receipt) is { } problem)
            {
                return problem;
            }

            prev = record.Hash;
            reached |= record.Hash == anchor;
        }

        return reached ? null : new AuditProblem(last + 1, $"the chain no longer reaches the anchor {anchor}: records after #{last} were removed, or the chain was rewritten");
    }

    /// <summary>A receipt's file where it is here, else (shared state) the copy the state keeps; each one there is must hash as recorded.</summary>
    private AuditProblem? ReceiptProblem(AuditRecord record, string receipt)
    {
        var kept = state.FindReceipt(receipt);
        if (kept is not null && (kept.Sha256 != record.ReceiptHash || Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(kept.Content))) != record.ReceiptHash))
        {
            return new AuditProblem(record.Id, $"its receipt {receipt} as kept in the state was changed after it was recorded");
        }

        if (File.Exists(receipt))
        {
            return FileHash(receipt) == record.ReceiptHash ? null : new AuditProblem(record.Id, $"its receipt {receipt} was changed after it was recorded");
        }

        // On one machine every receipt was written here, so its file must be; a shared chain's receipts were
        // written on many machines, and the copy the state keeps stands in for a file written elsewhere.
        return kept is null || !state.Shared ? new AuditProblem(record.Id, $"its receipt {receipt} is missing") : null;
    }

    /// <summary>SHA-256 over every field but the hash itself, length-prefixed so no two records can collide by shifting text between fields.</summary>
    public static string HashOf(AuditRecord r)
    {
        var text = new StringBuilder();
        foreach (var field in new[] { r.At, r.Actor, r.Action, r.Lane, r.Env, r.Inputs, r.Result, r.Receipt, r.ReceiptHash, r.PrevHash })
        {
            var value = field ?? "\u0000";
            text.Append(value.Length).Append(':').Append(value).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string FileHash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

public sealed record AuditProblem(long RecordId, string Reason);
