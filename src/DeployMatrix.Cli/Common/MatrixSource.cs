using System.CommandLine;
using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Files;
using DeployMatrix.Core.Text;

namespace DeployMatrix.Cli.Common;

/// <summary>Finds and loads the matrix a command means, printing diagnostics when it is not valid.</summary>
internal static class MatrixSource
{
    /// <summary>Locates the matrix: a positional FILE, else --file, else the nearest deploymatrix.yaml from <paramref name="searchFrom"/>.</summary>
    public static string Locate(ParseResult result, CliContext context, string? positional = null, string? searchFrom = null)
    {
        var explicitPath = positional ?? result.GetValue(context.Options.File);
        var (path, error) = MatrixLocator.Locate(explicitPath, searchFrom ?? context.WorkingDirectory, context.Env("HOME"), FileOwner.IsCurrentUsers);
        if (path is null)
        {
            throw new UsageException(error!);
        }

        if (result.GetValue(context.Options.Verbose))
        {
            context.Err.WriteLine($"using matrix {path}");
        }

        return path;
    }

    /// <summary>Loads a valid matrix; an invalid one has every diagnostic printed and ends the command with exit 2 (<see cref="InvalidMatrix"/>).</summary>
    public static Matrix Load(ParseResult result, CliContext context, string? positional = null, string? searchFrom = null)
    {
        var path = Locate(result, context, positional, searchFrom);
        var loaded = MatrixLoader.Load(path, Display(path, context));
        if (loaded.Ok)
        {
            return loaded.Matrix!;
        }

        PrintDiagnostics(loaded, context.Err);
        throw new InvalidMatrix();
    }

    public static void PrintDiagnostics(LoadResult loaded, TextWriter err)
    {
        foreach (var diagnostic in loaded.Diagnostics)
        {
            err.WriteLine(UntrustedText.OneLine(diagnostic.ToString()));
        }

        err.WriteLine($"{loaded.Diagnostics.Count} error{(loaded.Diagnostics.Count == 1 ? "" : "s")} in {loaded.Path}");
    }

    /// <summary>Paths in messages are relative to where the user stands, as compilers print them.</summary>
    public static string Display(string path, CliContext context)
    {
        var relative = Path.GetRelativePath(context.WorkingDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
