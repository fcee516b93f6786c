using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Web;

/// <summary>
/// Serves the files a run left in its folder (gate evidence, drill reports) as text to read, never as something to
/// run: only text types, always <c>text/plain</c>, only the folder's top level and its <c>logs/</c>.
/// </summary>
internal static class PlainFiles
{
    /// <summary>The kinds of file the gate and drills write as text: results, summaries, logs.</summary>
    private static readonly HashSet<string> TextTypes = new(StringComparer.OrdinalIgnoreCase) { ".json", ".jsonl", ".tsv", ".md", ".log", ".txt" };

    /// <param name="folder">The run's folder.</param>
    /// <param name="logs">True: the file is in the folder's <c>logs/</c>.</param>
    /// <param name="name">A plain file name (see <see cref="DashboardSource.FileIn"/>).</param>
    /// <returns>The file as <c>text/plain; charset=utf-8</c>, or 404 for another type, a link, a name with a separator or a missing file.</returns>
    public static IResult Text(string folder, bool logs, string name)
    {
        var dir = logs ? Path.Combine(folder, "logs") : folder;
        if (!TextTypes.Contains(Path.GetExtension(name)) || (Directory.Exists(dir) && new DirectoryInfo(dir).LinkTarget is not null))
        {
            return Results.NotFound();
        }

        return DashboardSource.FileIn(dir, name) is { } path ? Results.File(path, "text/plain; charset=utf-8") : Results.NotFound();
    }

    /// <summary>A duration in milliseconds as people read it: <c>850 ms</c>, <c>1.24 s</c>, <c>2 min 5 s</c>.</summary>
    public static string Duration(double ms) => ms switch
    {
        < 1000 => string.Create(CultureInfo.InvariantCulture, $"{ms:0} ms"),
        < 60_000 => string.Create(CultureInfo.InvariantCulture, $"{ms / 1000:0.00} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)(ms / 60_000)} min {ms % 60_000 / 1000:0} s"),
    };
}
