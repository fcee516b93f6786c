using System.CommandLine;

namespace DeployMatrix.Cli.Common;

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> File = new("--file", "-f")
    {
        Description = "The matrix file. Default: the nearest deploymatrix.yaml in the current folder or its parents.",
        HelpName = "PATH",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Say which matrix file is used and what happens.",
        Recursive = true,
    };

    public static readonly Option<string> Output = new("--output", "-o")
    {
        Description = "Output for people (text) or machines (json).",
        HelpName = "text|json",
        DefaultValueFactory = _ => "text",
        Recursive = true,
    };

    static GlobalOptions() => Output.AcceptOnlyFromAmong("text", "json");

    public static bool Json(ParseResult result) => result.GetValue(Output) == "json";
}
