namespace DeployMatrix.State;

/// <summary>A receipt as the database keeps it beside its file: the file's path, its SHA-256 (hex) and its text.</summary>
public sealed record ReceiptRecord(string Path, string Sha256, string Content);

public sealed partial class StateStore
{
    /// <summary>Keeps a receipt's text (once per path: a receipt is never rewritten).</summary>
    public void PutReceipt(ReceiptRecord receipt) => Execute(
        "INSERT INTO receipts (path, sha256, content, recorded_at) VALUES (@p, @h, @c, @t) ON CONFLICT (path) DO NOTHING",
        ("@p", receipt.Path), ("@h", receipt.Sha256), ("@c", receipt.Content), ("@t", Now));

    /// <summary>The receipt kept for a path, or null.</summary>
    public ReceiptRecord? FindReceipt(string path) =>
        Query("SELECT path, sha256, content FROM receipts WHERE path = @p", r => new ReceiptRecord(r.GetString(0), r.GetString(1), r.GetString(2)), ("@p", path)).FirstOrDefault();
}
