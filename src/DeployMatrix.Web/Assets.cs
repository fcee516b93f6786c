using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Web;

/// <summary>The dashboard's own files (style sheet, scripts), embedded in the assembly: nothing to install beside the tool.</summary>
internal static class Assets
{
    private static readonly Dictionary<string, string> Types = new(StringComparer.Ordinal)
    {
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    public static IResult Serve(string name)
    {
        var stream = typeof(Assets).Assembly.GetManifestResourceStream($"assets/{name}");
        return stream is null || !Types.TryGetValue(Path.GetExtension(name), out var type) ? Results.NotFound() : Results.Stream(stream, type);
    }
}
