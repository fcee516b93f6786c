namespace DeployMatrix.Core.Planning;

/// <summary>
/// A list flag's value as gcloud reads it (<c>gcloud topic escaping</c>): items joined by commas, or, when an
/// item holds a comma, prefixed with <c>^DELIM^</c> and joined by a delimiter no item holds.
/// </summary>
public static class GcloudList
{
    private static readonly string[] Delimiters = ["|", "~", ":", ";", "#", "@", "!", "%", "+", "="];

    /// <exception cref="ArgumentException">Every candidate delimiter occurs in some item.</exception>
    public static string Join(IReadOnlyList<string> items)
    {
        if (!items.Any(i => i.Contains(',', StringComparison.Ordinal)))
        {
            return string.Join(',', items);
        }

        var delimiter = Delimiters.FirstOrDefault(d => !items.Any(i => i.Contains(d, StringComparison.Ordinal)))
            ?? throw new ArgumentException($"no delimiter gcloud could split these values on: {string.Join(' ', items)}", nameof(items));
        return $"^{delimiter}^{string.Join(delimiter, items)}";
    }
}
