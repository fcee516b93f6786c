using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Web;

/// <summary>
/// What the pages read and act through. A workspace per request: the state store's connection and the platforms'
/// clients are not shared between requests, and a page always reads the matrix's state as it is now (team mode
/// included: the workspace opens whichever store the matrix uses).
/// </summary>
/// <param name="open">Opens a workspace whose actor names the person at the dashboard (e.g. <c>alice (dashboard)</c>).</param>
/// <param name="stateRoot">The matrix's <c>.deploymatrix/</c> folder: receipts, evidence and drill reports.</param>
public sealed class DashboardSource(Func<Workspace> open, string stateRoot, TimeProvider time)
{
    public TimeProvider Time => time;

    public Workspace Open() => open();

    /// <summary>A receipt's file, for a plain file name inside <c>receipts/</c> only (no folders, no links out), or null.</summary>
    public string? ReceiptPath(string name) => FileIn(Path.Combine(stateRoot, "receipts"), name);

    /// <summary>A plain file directly inside <paramref name="folder"/>, or null: names with separators or dots-only, and links, are refused.</summary>
    public static string? FileIn(string folder, string name)
    {
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.Trim('.').Length == 0)
        {
            return null;
        }

        var path = Path.Combine(folder, name);
        var info = new FileInfo(path);
        return info.Exists && info.LinkTarget is null ? path : null;
    }
}
