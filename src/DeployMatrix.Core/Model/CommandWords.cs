using System.Text;

namespace DeployMatrix.Core.Model;

/// <summary>
/// Splits a command line into words the way a POSIX shell would before expansion: quotes group,
/// backslash escapes, and the control operators <c>; &amp; | ( )</c> stand as words of their own.
/// Commands are executed as argument arrays, never through a shell, so this is the only parsing they get.
/// </summary>
public static class CommandWords
{
    public static IReadOnlyList<string> Split(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is '\'' or '"')
            {
                var close = text.IndexOf(c, i + 1);
                var end = close < 0 ? text.Length : close;
                current.Append(text, i + 1, end - i - 1);
                inWord = true;
                i = end + 1;
                continue;
            }

            if (c == '\\' && i + 1 < text.Length)
            {
                current.Append(text[i + 1]);
                inWord = true;
                i += 2;
                continue;
            }

            if (char.IsWhiteSpace(c) || c is ';' or '&' or '|' or '(' or ')')
            {
                Flush(words, current, ref inWord);
                if (!char.IsWhiteSpace(c))
                {
                    // Keep "&&" and "||" as single operator words.
                    var op = i + 1 < text.Length && text[i + 1] == c && c is '&' or '|' ? new string(c, 2) : c.ToString();
                    words.Add(op);
                    i += op.Length;
                    continue;
                }

                i++;
                continue;
            }

            current.Append(c);
            inWord = true;
            i++;
        }

        Flush(words, current, ref inWord);
        return words;
    }

    /// <summary>Where <paramref name="needle"/> occurs as consecutive words; the first word also matches by file name (<c>/usr/bin/php</c> is <c>php</c>).</summary>
    public static int IndexOf(IReadOnlyList<string> haystack, IReadOnlyList<string> needle)
    {
        if (needle.Count == 0)
        {
            return -1;
        }

        for (var start = 0; start + needle.Count <= haystack.Count; start++)
        {
            var first = haystack[start];
            var slash = first.LastIndexOf('/');
            if (first != needle[0] && (slash < 0 || first[(slash + 1)..] != needle[0]))
            {
                continue;
            }

            var match = true;
            for (var k = 1; k < needle.Count && match; k++)
            {
                match = haystack[start + k] == needle[k];
            }

            if (match)
            {
                return start;
            }
        }

        return -1;
    }

    /// <summary>Quotes one word for a POSIX shell only when it needs it.</summary>
    public static string Quote(string word)
    {
        if (word.Length > 0 && word.All(IsSafe))
        {
            return word;
        }

        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    private static bool IsSafe(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or ',' or '@' or '%' or '+';

    private static void Flush(List<string> words, StringBuilder current, ref bool inWord)
    {
        if (inWord)
        {
            words.Add(current.ToString());
            current.Clear();
            inWord = false;
        }
    }
}
