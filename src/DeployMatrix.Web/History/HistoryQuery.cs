using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Workspaces;
using DeployMatrix.State;

namespace DeployMatrix.Web.History;

/// <summary>What the history page filters by (the query string's <c>lane</c>, <c>env</c>, <c>actor</c>, <c>action</c>; empty: any) and which page it shows (1-based).</summary>
public sealed record HistoryFilter(string? Lane, string? Env, string? Actor, string? Action, int Page)
{
    /// <summary>The query string of this filter on another page, e.g. <c>?lane=runtime&amp;page=2</c>.</summary>
    public string Query(int page)
    {
        var parts = new List<string>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                parts.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }

        Add("lane", Lane);
        Add("env", Env);
        Add("actor", Actor);
        Add("action", Action);
        if (page > 1)
        {
            parts.Add($"page={page}");
        }

        return parts.Count == 0 ? "/history" : "/history?" + string.Join('&', parts);
    }
}

/// <summary>One audit record as the page shows it, with where its receipt is served (null: none, or not on this machine).</summary>
public sealed record HistoryRow(AuditRecord Record, string At, string? ReceiptUrl);

/// <summary>The values present in the log, for the filters' drop-downs (ordinal order).</summary>
public sealed record HistoryChoices(IReadOnlyList<string> Lanes, IReadOnlyList<string> Envs, IReadOnlyList<string> Actors, IReadOnlyList<string> Actions);

/// <summary>The audit chain's state as <c>audit verify</c> reports it: intact with its record count, or the first broken record and why.</summary>
public sealed record ChainStatus(bool Intact, int Count, long? BrokenAt, string? Problem);

/// <summary>The history page: a page of matching records (newest first), how many match, the filter's choices and the chain's state.</summary>
/// <param name="PageSize">Records per page (<see cref="HistoryQuery.PageSize"/>).</param>
public sealed record HistoryView(HistoryFilter Filter, IReadOnlyList<HistoryRow> Rows, int Matching, int PageSize, HistoryChoices Choices, ChainStatus Chain)
{
    public int Pages => Math.Max(1, (Matching + PageSize - 1) / PageSize);
}

/// <summary>Reads the audit log for the history page, and verifies the chain as <c>audit verify</c> does (<see cref="AuditOperation.Verify"/>).</summary>
internal static class HistoryQuery
{
    /// <value>100 records per page.</value>
    public const int PageSize = 100;

    public static HistoryView Read(DashboardSource source, HistoryFilter filter)
    {
        using var ws = source.Open();
        var audit = new AuditOperation(ws);
        var (problem, count) = audit.Verify();
        var chain = new ChainStatus(problem is null, count, problem?.RecordId, problem?.Reason);
        var all = audit.History(null, int.MaxValue, steps: false).Entries.Select(e => e.Record).ToList();
        var choices = new HistoryChoices(Values(all, r => r.Lane), Values(all, r => r.Env), Values(all, r => r.Actor), Values(all, r => r.Action));
        var matching = all.Where(r => Is(filter.Lane, r.Lane) && Is(filter.Env, r.Env) && Is(filter.Actor, r.Actor) && Is(filter.Action, r.Action)).Reverse().ToList();
        var page = Math.Clamp(filter.Page, 1, Math.Max(1, (matching.Count + PageSize - 1) / PageSize));
        var links = new ReceiptLinks(ws.Paths, ws.State.Gates());
        var rows = matching.Skip((page - 1) * PageSize).Take(PageSize)
            .Select(r => new HistoryRow(r, Matrix.MatrixQuery.When(r.At), links.Of(r.Receipt))).ToList();
        return new HistoryView(filter with { Page = page }, rows, matching.Count, PageSize, choices, chain);
    }

    private static bool Is(string? wanted, string? value) => string.IsNullOrEmpty(wanted) || wanted == value;

    private static string[] Values(List<AuditRecord> records, Func<AuditRecord, string?> field) =>
        [.. records.Select(field).OfType<string>().Distinct().Order(StringComparer.Ordinal)];
}

/// <summary>
/// Where the dashboard serves a record's receipt: a deploy's in <c>receipts/</c>, a gate's <c>results.json</c> in its
/// evidence folder, a drill's <c>summary.json</c> in its report folder; null for a receipt elsewhere (a drill's <c>--out</c>).
/// </summary>
internal sealed class ReceiptLinks(WorkspacePaths paths, IReadOnlyList<GateRecord> gates)
{
    private readonly Dictionary<string, long> _gateByEvidence = gates.GroupBy(g => Full(g.Evidence)).ToDictionary(g => g.Key, g => g.Max(x => x.Id), StringComparer.Ordinal);

    public string? Of(string? receipt)
    {
        if (receipt is null || Path.GetDirectoryName(receipt) is not { Length: > 0 } parent)
        {
            return null;
        }

        var dir = Full(parent);
        var name = Path.GetFileName(receipt);
        if (dir == Full(paths.Receipts))
        {
            return "/receipts/" + Uri.EscapeDataString(name);
        }

        if (_gateByEvidence.TryGetValue(dir, out var id))
        {
            return $"/gate/{id}/evidence/{Uri.EscapeDataString(name)}";
        }

        return Path.GetDirectoryName(dir) is { Length: > 0 } drills && Full(drills) == Full(paths.Drills)
            ? $"/drills/{Uri.EscapeDataString(Path.GetFileName(dir)!)}/{Uri.EscapeDataString(name)}"
            : null;
    }

    private static string Full(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
}
