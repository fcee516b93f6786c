using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Recording;

/// <summary>
/// The tamper-evident audit log: every mutation appends a record whose SHA-256 covers its fields, the
/// hash of its receipt file and the previous record's hash. Changing any byte of a record, or of a
/// receipt it names, breaks the chain from that record on.
/// </summary>
public sealed class AuditLog(StateStore state)
{
    /// <param name="inputs">What was asked (lane, environment, tag, split…); never secrets.</param>
    public AuditRecord Append(string actor, string action, string? lane, string? env, IReadOnlyDictionary<string, string?> inputs, string result, string? receipt)
    {
        var inputsJson = JsonSerializer.Serialize(new SortedDictionary<string, string?>(inputs.ToDictionary(), StringComparer.Ordinal));
        var receiptHash = receipt is not null && File.Exists(receipt) ? FileHash(receipt) : null;
        return state.AppendAudit((prev, at) =>
        {
            var record = new AuditRecord(0, at, actor, action, lane, env, inputsJson, result, receipt, receiptHash, prev, "");
            return record with { Hash = HashOf(record) };
        });
    }

    /// <summary>Recomputes the chain; returns the first broken record and why, or null when intact.</summary>
    public AuditProblem? Verify()
    {
        var prev = StateStore.AuditGenesis;
        foreach (var record in state.AuditRecords())
        {
            if (record.PrevHash != prev)
            {
                return new AuditProblem(record.Id, "its link to the previous record does not match (a record before it was removed or changed)");
            }

            if (HashOf(record) != record.Hash)
            {
                return new AuditProblem(record.Id, "its content does not match its hash (the record was edited)");
            }

            if (record.Receipt is { } receipt)
            {
                if (!File.Exists(receipt))
                {
                    return new AuditProblem(record.Id, $"its receipt {receipt} is missing");
                }

                if (FileHash(receipt) != record.ReceiptHash)
                {
                    return new AuditProblem(record.Id, $"its receipt {receipt} was changed after it was recorded");
                }
            }

            prev = record.Hash;
        }

        return null;
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
