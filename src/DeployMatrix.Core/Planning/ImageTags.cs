using System.Text.RegularExpressions;

namespace DeployMatrix.Core.Planning;

/// <summary>Image tags follow the OCI tag grammar, so every platform accepts what the matrix plans.</summary>
public static partial class ImageTags
{
    public static string? Validate(string tag) =>
        TagPattern().IsMatch(tag)
            ? null
            : $"tag '{tag}' is not a valid image tag; use letters, digits, '_', '.', '-' (at most 128, not starting with '.' or '-'), e.g. the short git SHA";

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();
}
