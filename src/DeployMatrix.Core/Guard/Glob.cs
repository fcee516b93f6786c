using System.Text;
using System.Text.RegularExpressions;

namespace DeployMatrix.Core.Guard;

/// <summary>Gitignore-style globs: <c>**</c> spans folders, <c>*</c> and <c>?</c> stay within one name.</summary>
internal static class Glob
{
    public static Regex ToRegex(string glob)
    {
        var pattern = new StringBuilder("^");
        // A pattern without a slash matches a file name at any depth, as in .gitignore.
        if (!glob.Contains('/', StringComparison.Ordinal))
        {
            pattern.Append("(?:.*/)?");
        }

        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                var slash = i + 2 < glob.Length && glob[i + 2] == '/';
                pattern.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                pattern.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }

        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
