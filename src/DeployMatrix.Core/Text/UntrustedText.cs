using System.Globalization;
using System.Text;

namespace DeployMatrix.Core.Text;

/// <summary>
/// Text that came from outside (a reason typed by a person, a platform's error message, a revision's
/// name, an answer's header) made safe for where it is rendered: it stays on its line, cannot start a
/// Markdown table row or a shell command, and cannot send a terminal escape sequence. Escaped, never
/// dropped, so what was there can still be read.
/// </summary>
public static class UntrustedText
{
    /// <summary>
    /// The text on one line: C0 and C1 controls, DEL, the Unicode line and paragraph separators and the
    /// bidirectional overrides (which reorder what a reader sees, "Trojan Source", CVE-2021-42574) shown
    /// as <c>\n</c>, <c>\r</c>, <c>\t</c> or <c>\uXXXX</c>.
    /// </summary>
    public static string OneLine(string text) => Escape(text, keepLines: false);

    /// <summary>
    /// Like <see cref="OneLine"/>, but newlines and tabs kept (a lone carriage return escaped): for
    /// multi-line bodies written to a log (an HTTP answer's body), where escape sequences and reordering
    /// are what is dangerous.
    /// </summary>
    public static string Lines(string text) => Escape(text.Replace("\r\n", "\n", StringComparison.Ordinal), keepLines: true);

    /// <summary>
    /// Plain Markdown text on one line (a table cell, a list item): <see cref="OneLine"/>, then the
    /// characters that open emphasis, code, links, HTML or a table cell backslash-escaped (CommonMark §2.4).
    /// </summary>
    public static string Markdown(string text)
    {
        var line = OneLine(text);
        var result = new StringBuilder(line.Length + 8);
        foreach (var c in line)
        {
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '~')
            {
                result.Append('\\');
            }

            result.Append(c);
        }

        return result.ToString();
    }

    /// <summary>
    /// A Markdown code span of the text on one line: fenced by one more backtick than the longest run
    /// inside it, padded when it starts or ends with one (CommonMark §6.1); pipes escaped for table cells.
    /// </summary>
    public static string MarkdownCode(string text)
    {
        var line = OneLine(text).Replace("|", @"\|", StringComparison.Ordinal);
        var longest = 0;
        var run = 0;
        foreach (var c in line)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        var fence = new string('`', longest + 1);
        var pad = line.StartsWith('`') || line.EndsWith('`') ? " " : "";
        return $"{fence}{pad}{line}{pad}{fence}";
    }

    /// <summary>A POSIX shell comment line: <c># </c> and the text on one line, so nothing in it runs.</summary>
    public static string ShellComment(string text) => "# " + OneLine(text);

    private static string Escape(string text, bool keepLines)
    {
        if (!text.Any(c => NeedsEscape(c) && !(keepLines && c is '\n' or '\t')))
        {
            return text;
        }

        var result = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            result.Append(c switch
            {
                '\n' or '\t' when keepLines => c.ToString(),
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                _ when NeedsEscape(c) => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => c.ToString(),
            });
        }

        return result.ToString();
    }

    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' || (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069') || c == '\u200E' || c == '\u200F';
}
