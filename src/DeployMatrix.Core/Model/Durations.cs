using System.Globalization;

namespace DeployMatrix.Core.Model;

/// <summary>Durations as the matrix writes them (500ms, 30s, 10m, 1h, 1m30s), for command-line options too.</summary>
public static class Durations
{
    /// <summary>Parses <c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>1h</c> or combined <c>1m30s</c>; null for anything else.</summary>
    public static TimeSpan? Parse(string text)
    {
        var total = TimeSpan.Zero;
        var i = 0;
        text = text.Trim();
        if (text.Length == 0)
        {
            return null;
        }

        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (i == start || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                return null;
            }

            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            TimeSpan? part = text[unitStart..i] switch
            {
                "ms" => TimeSpan.FromMilliseconds(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                _ => null,
            };
            if (part is null)
            {
                return null;
            }

            total += part.Value;
        }

        return total;
    }

    /// <summary>Formats a duration the way the matrix writes it (10m, 30s, 1h30m, 500ms).</summary>
    public static string Format(TimeSpan value)
    {
        if (value < TimeSpan.FromSeconds(1))
        {
            return $"{value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";
        }

        var parts = new List<string>();
        if (value.Hours + (value.Days * 24) > 0)
        {
            parts.Add($"{(value.Days * 24) + value.Hours}h");
        }

        if (value.Minutes > 0)
        {
            parts.Add($"{value.Minutes}m");
        }

        if (value.Seconds > 0 || value.Milliseconds > 0)
        {
            parts.Add(value.Milliseconds > 0
                ? $"{(value.Seconds + (value.Milliseconds / 1000.0)).ToString(CultureInfo.InvariantCulture)}s"
                : $"{value.Seconds}s");
        }

        return string.Concat(parts);
    }
}
