using System.Text.RegularExpressions;

namespace DeployMatrix.Core.Planning;

/// <summary>
/// Image tags follow the OCI tag grammar (<c>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}</c>), so every platform accepts
/// what the matrix plans; and hold a letter or digit, since a release's traffic tag (<see cref="TrafficTags.For"/>,
/// a DNS label) is made of them.
/// </summary>
public static partial class ImageTags
{
    /// <returns>Null for a good tag, else one line with the rule and an example.</returns>
    public static string? Validate(string tag) =>
        TagPattern().IsMatch(tag) && tag.Any(char.IsAsciiLetterOrDigit)
            ? null
            : $"tag '{tag}' is not a valid image tag; use letters, digits, '_', '.', '-' (at most 128, not starting with '.' or '-', at least one letter or digit), e.g. the short git SHA";

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();
}
