namespace DeployMatrix.Core.Diagnostics;

/// <summary>Suggests the closest known word for a misspelt key or value.</summary>
public static class DidYouMean
{
    /// <summary>Returns <c> (did you mean 'x'?)</c> or, when nothing is close, the list of allowed words.</summary>
    public static string Hint(string given, IEnumerable<string> known)
    {
        var candidates = known.ToList();
        var best = Closest(given, candidates);
        if (best is not null)
        {
            return $" (did you mean '{best}'?)";
        }

        return candidates.Count is > 0 and <= 12 ? $" (expected one of: {string.Join(", ", candidates)})" : "";
    }

    public static string? Closest(string given, IReadOnlyCollection<string> known)
    {
        // An abbreviation ("prod" for "production") is the likeliest intent when it is unambiguous.
        var prefixed = given.Length >= 2 ? known.Where(k => k.StartsWith(given, StringComparison.OrdinalIgnoreCase)).ToList() : [];
        if (prefixed.Count == 1)
        {
            return prefixed[0];
        }

        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var word in known)
        {
            var distance = Distance(given.ToLowerInvariant(), word.ToLowerInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (word, distance);
            }
        }

        // A suggestion further than a third of the word away is noise, not help.
        var limit = Math.Max(2, given.Length / 3);
        return bestDistance <= limit ? best : null;
    }

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent transpositions).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
