using System.CommandLine;

namespace DeployMatrix.Cli.Common;

/// <summary>
/// Whether this run's output may be coloured, and the few colours it uses (a step's ok, FAILED, CANCELLED).
/// Colour only at a terminal (<see cref="CliContext.Color"/>), and never when <c>--no-color</c> is given or
/// <c>NO_COLOR</c> is set to any non-empty value (https://no-color.org).
/// </summary>
internal static class Palette
{
    public const string Green = "\u001b[32m";
    public const string Red = "\u001b[31m";
    public const string Yellow = "\u001b[33m";
    private const string Reset = "\u001b[0m";

    public static bool Enabled(ParseResult result, CliContext context) =>
        context.Color && string.IsNullOrEmpty(context.Env("NO_COLOR")) && !result.GetValue(context.Options.NoColor);

    /// <summary><paramref name="text"/> in <paramref name="color"/> when <paramref name="enabled"/>, else as it is.</summary>
    public static string Paint(string text, string color, bool enabled) => enabled ? $"{color}{text}{Reset}" : text;
}
