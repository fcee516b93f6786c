namespace DeployMatrix.Core.Planning;

/// <summary>
/// The value of a gcloud list or dictionary flag (<c>--substitutions</c>, <c>--set-env-vars</c>, …) as
/// gcloud reads it back (<c>gcloud topic escaping</c>): items joined by commas, or — when an item holds a
/// comma, or the value would start with gcloud's <c>^</c> — <c>^DELIM^</c> followed by the items joined by
/// DELIM, a delimiter that no item holds.
/// </summary>
public static class GcloudList
{
    // Tried in order for the alternate delimiter; none is '^' (it closes ^DELIM^) or '=' (it splits KEY=VALUE).
    private const string Delimiters = "|;:@#%+~!*/&";

    /// <summary>A dictionary flag's value: <c>KEY=VALUE</c> items, in the order given.</summary>
    public static string Dict(IEnumerable<KeyValuePair<string, string>> pairs) => List(pairs.Select(p => $"{p.Key}={p.Value}"));

    public static string List(IEnumerable<string> items)
    {
        var list = items.ToList();
        if (!list.Any(i => i.Contains(',', StringComparison.Ordinal)) && !(list.Count > 0 && list[0].StartsWith('^')))
        {
            return string.Join(',', list);
        }

        // A single character no item holds splits the value back into exactly these items; there always is one.
        var delimiter = Delimiters.Concat(Enumerable.Range('!', char.MaxValue - '!').Select(c => (char)c))
            .First(c => c is not '^' and not '=' and not ',' && !char.IsWhiteSpace(c) && !char.IsSurrogate(c) && !list.Any(i => i.Contains(c, StringComparison.Ordinal)));
        return $"^{delimiter}^{string.Join(delimiter, list)}";
    }
}
