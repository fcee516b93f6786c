namespace DeployMatrix.Core.Diagnostics;

/// <summary>One problem found in a matrix, printed as <c>path:line:col: message</c>.</summary>
/// <param name="Code">A stable identifier (for example <c>unknown-key</c>) that tools and tests can match on.</param>
public sealed record Diagnostic(string File, SourcePos Pos, string Code, string Message)
{
    public override string ToString() =>
        Pos.IsKnown ? $"{File}:{Pos.Line}:{Pos.Column}: {Message}" : $"{File}: {Message}";
}

/// <summary>Collects diagnostics for one file so every problem is reported at once.</summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];

    public DiagnosticBag(string file) => File = file;

    public string File { get; }

    public IReadOnlyList<Diagnostic> Items => _items;

    public bool HasErrors => _items.Count > 0;

    /// <summary>Adds a diagnostic once: a value shared by several targets (a target's key read for each of its regions) is one problem.</summary>
    public void Add(SourcePos pos, string code, string message)
    {
        var diagnostic = new Diagnostic(File, pos, code, message);
        if (!_items.Contains(diagnostic))
        {
            _items.Add(diagnostic);
        }
    }

    /// <summary>Diagnostics in file order, so output reads top to bottom like the file.</summary>
    public IReadOnlyList<Diagnostic> Sorted() =>
        [.. _items.OrderBy(d => d.Pos.Line).ThenBy(d => d.Pos.Column).ThenBy(d => d.Message, StringComparer.Ordinal)];
}
