using System.Text.RegularExpressions;
using DeployMatrix.Core.Diagnostics;
using YamlDotNet.Core;

namespace DeployMatrix.Core.Yaml;

/// <summary>
/// Turns YamlDotNet's syntax errors into one diagnostic at the character to fix. YamlDotNet reports some
/// errors where the enclosing construct starts — a tab used for indentation at the start of the mapping
/// (often 1:1), an unclosed bracket at the end of the file — so those are located here from the text.
/// </summary>
internal static partial class YamlSyntaxErrors
{
    /// <param name="openFlow">The innermost <c>[</c> or <c>{</c> still open when the error came, if any.</param>
    public static (SourcePos Pos, string Message) Describe(string text, YamlException e, (SourcePos Pos, char Opening)? openFlow)
    {
        var start = new SourcePos((int)e.Start.Line, (int)e.Start.Column);
        var message = Clean(e.Message);
        if (e.Message.Contains("tab", StringComparison.OrdinalIgnoreCase) && IndentingTab(text, start.Line) is { } tab)
        {
            return (tab, $"invalid YAML: a tab indents line {tab.Line}; YAML indents with spaces only — replace the tab with spaces");
        }

        if (e.Message.Contains("escape character", StringComparison.Ordinal))
        {
            // YamlDotNet's start is the quote; its end is the backslash of the escape it does not know.
            return (new SourcePos((int)e.End.Line, (int)e.End.Column), message + " (inside double quotes, write '\\\\' for a backslash, or use single quotes)");
        }

        if (e.Message.Contains("quoted scalar", StringComparison.Ordinal) && e.Message.Contains("end of stream", StringComparison.Ordinal))
        {
            return (start, "invalid YAML: the quoted value that starts here is never closed");
        }

        if (openFlow is { } open && e.Start.Index >= text.TrimEnd().Length)
        {
            return Unterminated(start, open);
        }

        return (start, message);
    }

    /// <summary>The file ended (or stopped parsing) inside a flow collection: point at the bracket that is never closed.</summary>
    public static (SourcePos Pos, string Message) Unterminated(SourcePos at, (SourcePos Pos, char Opening)? openFlow) =>
        openFlow is { } open
            ? (open.Pos, $"invalid YAML: this '{open.Opening}' is never closed; add the '{(open.Opening == '[' ? ']' : '}')}' where it ends")
            : (at, "invalid YAML: cannot parse what follows; look for an unclosed '{', '[' or quote");

    /// <summary>
    /// The first tab in a line's indentation at or after <paramref name="fromLine"/> (YAML forbids tabs there;
    /// a tab after the indentation, inside a value or before a comment, is allowed and is not reported).
    /// </summary>
    private static SourcePos? IndentingTab(string text, int fromLine)
    {
        var lines = text.Split('\n');
        for (var i = Math.Max(0, fromLine - 1); i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var indent = line.Length - line.TrimStart(' ', '\t').Length;
            var tab = line.IndexOf('\t', 0, indent);
            var rest = line[indent..];
            if (tab >= 0 && !rest.StartsWith('#'))
            {
                return new SourcePos(i + 1, tab + 1);
            }
        }

        return null;
    }

    /// <summary>YamlDotNet prefixes its messages with "(Line: 3, Col: 5, Idx: 40) - (…): "; the position is printed by us.</summary>
    private static string Clean(string message)
    {
        var text = PositionPrefix().Replace(message, "").Trim();
        if (text.Length == 0)
        {
            return "invalid YAML";
        }

        return "invalid YAML: " + char.ToLowerInvariant(text[0]) + text[1..].TrimEnd('.');
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*")]
    private static partial Regex PositionPrefix();
}
