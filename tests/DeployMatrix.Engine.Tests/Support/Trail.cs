using System.Text;
using System.Text.RegularExpressions;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Tests.Support;

/// <summary>
/// What an operation leaves for people and auditors, written out as text a golden file can hold: its
/// lines, the journal rows, the audit records and receipts — with what varies between runs (scratch
/// folder, loopback ports, HTTP dates, real durations, timestamps) replaced by placeholders.
/// </summary>
public sealed partial class Trail(string dir)
{
    private readonly StringBuilder _text = new();

    /// <summary>Starts a section: "=== title".</summary>
    public Trail Section(string title) => Line($"=== {title}");

    public Trail Line(string line)
    {
        _text.Append(line).Append('\n');
        return this;
    }

    public Trail Lines(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            Line(line);
        }

        return this;
    }

    /// <summary>Every journal row, oldest first, that <paramref name="keep"/> keeps (null: all).</summary>
    public Trail Journal(StateStore state, Func<JournalRecord, bool>? keep = null) =>
        Lines(state.JournalEntries(10_000).Where(keep ?? (_ => true)).OrderBy(j => j.Id)
            .Select(j => $"{j.Operation} {j.Action} {j.Lane}/{j.Env} step={j.Step} status={j.Status} audit={j.AuditId} {j.Detail}"));

    /// <summary>Every audit record, in chain order, that <paramref name="keep"/> keeps (null: all).</summary>
    public Trail Audit(StateStore state, Func<AuditRecord, bool>? keep = null) =>
        Lines(state.AuditRecords().Where(keep ?? (_ => true))
            .Select(a => $"{a.Id} {a.Action} {a.Lane}/{a.Env} {a.Result} {a.Inputs} receipt={(a.Receipt is null ? "-" : Path.GetFileName(a.Receipt))}"));

    /// <summary>The text of files, each under its own "=== name" heading.</summary>
    public Trail Files(string folder, params string[] names)
    {
        foreach (var name in names)
        {
            Section(name);
            _text.Append(System.IO.File.ReadAllText(Path.Combine(folder, name)));
        }

        return this;
    }

    /// <summary>A file's text as is (a receipt), under no heading.</summary>
    public Trail File(string path)
    {
        _text.Append(System.IO.File.ReadAllText(path));
        return this;
    }

    public override string ToString() => Normalize(_text.ToString());

    /// <summary>
    /// What varies between runs out of the engine's hands: the scratch folder, loopback ports, the HTTP
    /// date, real durations (a check's, a first byte's), and timestamps.
    /// </summary>
    public string Normalize(string text)
    {
        text = text.Replace(dir, "<DIR>", StringComparison.Ordinal);
        text = Duration().Replace(text, "${key}<MS>");
        text = FirstByte().Replace(text, "${what} <MS> ms");
        text = Port().Replace(text, "127.0.0.1:<PORT>");
        text = HttpDate().Replace(text, "Date: <DATE>");
        return Timestamp().Replace(text, "<T>");
    }

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex Port();

    [GeneratedRegex(@"(?<key>""duration_ms"": )[\d.]+")]
    private static partial Regex Duration();

    [GeneratedRegex(@"(?<what>first byte after|max) [\d.]+ ms")]
    private static partial Regex FirstByte();

    [GeneratedRegex(@"Date: .+ GMT")]
    private static partial Regex HttpDate();

    [GeneratedRegex(@"2026-11-30T10:\d\d:\d\d\.\d{7}(\+|\\u002B)00:00|20261130T10\d{7}Z")]
    private static partial Regex Timestamp();
}
