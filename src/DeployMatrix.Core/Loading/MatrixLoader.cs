using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Validation;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Loading;

/// <summary>The outcome of loading a matrix: the model when it is valid, and every diagnostic either way.</summary>
public sealed record LoadResult(string Path, Matrix? Matrix, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Ok => Matrix is not null && Diagnostics.Count == 0;
}

/// <summary>Reads, shapes and validates a matrix file. Nothing is executed; a matrix with errors yields no model.</summary>
public static class MatrixLoader
{
    /// <param name="path">The file to read; relative paths inside the matrix resolve against its folder.</param>
    /// <param name="displayPath">How diagnostics name the file (as the user typed it); default: <paramref name="path"/>.</param>
    public static LoadResult Load(string path, string? displayPath = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var bag = new DiagnosticBag(displayPath ?? path);
            bag.Add(SourcePos.None, "io", $"cannot read the matrix: {e.Message}");
            return new LoadResult(displayPath ?? path, null, bag.Items);
        }

        return Parse(path, text, displayPath);
    }

    /// <summary>Loads from text; <paramref name="path"/> anchors relative paths, <paramref name="displayPath"/> names the file in diagnostics.</summary>
    public static LoadResult Parse(string path, string text, string? displayPath = null)
    {
        var diagnostics = new DiagnosticBag(displayPath ?? path);
        var root = YamlTreeReader.Read(text, diagnostics);
        if (root is null)
        {
            return new LoadResult(diagnostics.File, null, diagnostics.Sorted());
        }

        var matrix = MatrixReader.Read(Path.GetFullPath(path), root, diagnostics);
        if (matrix is not null)
        {
            MatrixValidator.Validate(matrix, diagnostics, ReadBuildConfigs(matrix, diagnostics));
        }

        var sorted = diagnostics.Sorted();
        return new LoadResult(diagnostics.File, sorted.Count == 0 ? matrix : null, sorted);
    }

    /// <summary>
    /// The text of every Cloud Build config the lanes name, for the substitution rules, which are pure. A
    /// config that is absent or absolute is left out (the file rules report it); one that exists and cannot
    /// be read is reported here.
    /// </summary>
    private static Dictionary<string, string> ReadBuildConfigs(Matrix matrix, DiagnosticBag diagnostics)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        var tried = new HashSet<string>(StringComparer.Ordinal);
        foreach (var lane in matrix.Lanes)
        {
            if (lane.Build?.CloudBuild?.Config is not { } config || Path.IsPathRooted(config.Path) || !tried.Add(config.Path))
            {
                continue;
            }

            var full = Path.Combine(matrix.BaseDirectory, config.Path);
            try
            {
                if (File.Exists(full))
                {
                    texts[config.Path] = File.ReadAllText(full);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                diagnostics.Add(config.Pos, "io", $"cannot read the Cloud Build config '{config.Path}' of lane '{lane.Name}': {e.Message}");
            }
        }

        return texts;
    }
}
